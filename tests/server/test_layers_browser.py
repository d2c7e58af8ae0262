"""The layer panel of the web page in a real headless Chromium (Debian's, driven by Playwright):
split an uploaded photo into layers, hide one with its eye, click an object to select it, remove
it, and download the layers as PSD, ORA and ZIP."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed (pip install -e '.[serve]')")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (scripts/bootstrap.sh installs it)", allow_module_level=True)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000
# the composite's pixel at (x, y), as the page draws it
VIEW_PIXEL = """([x, y]) => Array.from(document.querySelector('canvas.layers-view').getContext('2d')
    .getImageData(x, y, 1, 1).data)"""


def two_objects(path: Path) -> Path:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 40, (72, 96, 3), dtype=np.uint8)
    rgb[10:40, 8:40] = (240, 235, 230)
    rgb[30:62, 60:88] = (225, 240, 245)
    Image.fromarray(rgb).save(path)
    return path


def test_layers_panel_toggles_selects_removes_and_downloads(live_server, tmp_path):
    from psd_tools import PSDImage

    photo = two_objects(tmp_path / "photo.png")
    with sync_api.sync_playwright() as playwright, live_server() as server:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.wait_for_function("document.querySelector('#model').options.length > 0")
        page.set_input_files("#files", [str(photo)])
        page.wait_for_function("document.querySelector('article').dataset.state === 'done'")
        card = page.locator("article")
        card.locator("button.layers-toggle").click()
        page.wait_for_function("document.querySelector('.layers').dataset.state === 'ready'")
        rows = card.locator(".layers-list li")  # background, then each object's edge and the object
        assert rows.count() == 5 and "object 2" in rows.nth(4).inner_text()
        assert page.evaluate(VIEW_PIXEL, [20, 20])[:3] == [240, 235, 230]  # every layer shown: the photo

        rows.nth(2).locator("input.eye").uncheck()  # hide the first object: the plate shows through
        assert max(page.evaluate(VIEW_PIXEL, [20, 20])[:3]) < 120
        rows.nth(2).locator("input.eye").check()

        view = card.locator("canvas.layers-view").bounding_box()
        page.mouse.click(view["x"] + view["width"] * 74 / 96, view["y"] + view["height"] * 46 / 72)
        assert "selected" in rows.nth(4).get_attribute("class")
        card.locator("button.layers-remove").click()
        assert not rows.nth(4).locator("input.eye").is_checked() and not rows.nth(3).locator("input.eye").is_checked()
        assert max(page.evaluate(VIEW_PIXEL, [74, 46])[:3]) < 120
        assert page.evaluate(VIEW_PIXEL, [20, 20])[:3] == [240, 235, 230]

        with page.expect_download() as download:
            card.locator("button[data-layers-download=psd]").click()
        assert download.value.suggested_filename == "photo.layers.psd"
        assert [layer.name for layer in PSDImage.open(download.value.path())] == [
            "background", "object 1 edge", "object 1", "object 2 edge", "object 2"]
        with page.expect_download() as download:
            card.locator("button[data-layers-download=ora]").click()
        with zipfile.ZipFile(download.value.path()) as archive:
            assert archive.namelist()[0] == "mimetype" and "stack.xml" in archive.namelist()
        with page.expect_download() as download:
            card.locator("button[data-layers-download=zip]").click()
        with zipfile.ZipFile(download.value.path()) as archive:
            assert len(json.loads(archive.read("layers.json"))["layers"]) == 5
        assert errors == []
        browser.close()
