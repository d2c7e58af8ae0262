"""The web pages in a real headless Chromium (Debian's, driven by Playwright; no browser download):
upload, see the cutout, paint a hint, download one PNG and a zip, and vote in a review."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed (pip install -e '.[serve]')")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (scripts/bootstrap.sh installs it)", allow_module_level=True)

from alphacut.review import ReviewStore, plan_review  # noqa: E402

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def square(path: Path, box=(16, 12, 48, 36), size=(64, 48)) -> Path:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    image.save(path)
    return path


def alpha_of(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.mode == "RGBA"
    return np.asarray(image.getchannel("A"))


def test_upload_see_cutout_paint_hint_and_download(browser, live_server, tmp_path):
    first = square(tmp_path / "first.png")
    second = square(tmp_path / "second.png", box=(4, 4, 20, 20))
    with live_server(review_db=str(tmp_path / "votes.sqlite3")) as server:
        page = browser.new_page(accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        external: list[str] = []
        page.on("request", lambda request: None if request.url.startswith(server.url) or request.url.startswith("blob:")
                or request.url.startswith("data:") else external.append(request.url))
        page.goto(server.url + "/")
        page.wait_for_function("document.querySelector('#model').options.length > 0")
        page.set_input_files("#files", [str(first), str(second)])
        page.wait_for_function("document.querySelectorAll('article[data-state=done]').length === 2")
        card = page.locator("article", has_text="first.png")
        assert card.locator("img.after").evaluate("img => img.complete && img.naturalWidth") == 64

        with page.expect_download() as download:
            card.locator("button.download").click()
        cutout = alpha_of(Path(download.value.path()).read_bytes())
        assert download.value.suggested_filename == "first.png"
        assert cutout[14:34, 18:46].min() > 240 and cutout[0:8, 0:8].max() < 15

        # paint "keep" over the top-left corner of the background, apply, and get it back opaque
        card.locator("button.brush-toggle").click()
        canvas = card.locator("canvas.strokes")
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15, steps=5)
        page.mouse.up()
        card.locator("button.brush-apply").click()
        page.wait_for_function("[...document.querySelectorAll('article')].every(a => a.dataset.state === 'done')")
        with page.expect_download() as download:
            card.locator("button.download").click()
        hinted = alpha_of(Path(download.value.path()).read_bytes())
        assert hinted[0:3, 0:3].min() == 255 and hinted[20:30, 25:40].min() > 240

        # a background colour is baked into the download; many images come as a zip
        page.select_option("#bg-kind", "color")
        page.locator("#bg-color").fill("#ff0000")
        with page.expect_download() as download:
            page.click("#download-all")
        assert download.value.suggested_filename == "alphacut-cutouts.zip"
        with zipfile.ZipFile(download.value.path()) as archive:
            assert archive.testzip() is None
            assert sorted(archive.namelist()) == ["first.png", "second.png"]
            composed = Image.open(io.BytesIO(archive.read("second.png"))).convert("RGB")
        assert composed.getpixel((40, 40)) == (255, 0, 0) and composed.getpixel((10, 10)) == (255, 255, 255)
        assert errors == [] and external == []


def wait_for_next_image(page, previous: str) -> None:
    page.wait_for_function(
        "previous => document.querySelector('#item').dataset.ready === 'true'"
        " && document.querySelector('#item-name').textContent !== previous", arg=previous,
    )


PIXEL_OF = """async img => {
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  return Array.from(context.getImageData(1, 1, 1, 1).data);
}"""


def card_showing(page, colour: tuple[int, int, int]):
    """The candidate card whose image has this colour: the page names candidates only after the vote."""
    cards = page.locator(".candidate")
    matching = [index for index in range(cards.count())
                if max(abs(a - b) for a, b in zip(cards.nth(index).locator("img").first.evaluate(PIXEL_OF), colour)) < 8]
    assert len(matching) == 1, matching
    return cards.nth(matching[0])


def test_review_votes_with_keys_and_clicks(browser, live_server, tmp_path):
    images, model_a, model_b = (tmp_path / name for name in ("images", "a", "b"))
    for folder in (images, model_a, model_b):
        folder.mkdir()
    for index in range(3):
        square(images / f"img{index}.png")
        Image.new("RGBA", (64, 48), (255, 0, 0, 255)).save(model_a / f"img{index}.png")
        Image.new("RGBA", (64, 48), (0, 0, 255, 128)).save(model_b / f"img{index}.png")
    database = str(tmp_path / "votes.sqlite3")
    store = ReviewStore(database)
    plan = plan_review(images, [model_a, model_b])
    store.create("batch1", plan.labels, plan.items)

    with live_server(review_db=database) as server:
        for reviewer in ("ana", "ben"):
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + "/review?name=batch1")
            page.fill("#reviewer", reviewer)
            page.locator("#reviewer").dispatch_event("change")
            page.wait_for_selector("#item[data-ready=true]")
            page.locator("body").click(position={"x": 1, "y": 1})  # focus off the name field: keys vote
            assert page.locator(".candidate").count() == 2
            # blind: numbered candidates, no names or votes before this reviewer's vote
            assert sorted(page.locator(".candidate .label").all_text_contents()) == ["candidate 1", "candidate 2"]
            assert "vote" in page.locator("#tally").text_content() and "a:" not in page.locator("#tally").text_content()
            # first image: key 0 ("none"); second: click candidate "a" (red); third: the key of candidate "b" (blue)
            first = page.locator("#item-name").text_content()
            page.keyboard.press("0")
            wait_for_next_image(page, first)
            second = page.locator("#item-name").text_content()
            card_showing(page, (255, 0, 0)).click()
            wait_for_next_image(page, second)
            key_of_b = card_showing(page, (0, 0, 255)).locator(".key-number").text_content()
            page.keyboard.press(key_of_b)
            page.wait_for_selector("#done:not([hidden])")
            assert page.locator("#progress-text").text_content() == "3 of 3 images voted by you"
            assert errors == []
            context.close()

    votes = store.votes("batch1")
    assert len(votes) == 6 and {vote.reviewer for vote in votes} == {"ana", "ben"}
    choices = sorted(vote.choice for vote in votes)
    assert choices == ["a", "a", "b", "b", "none", "none"]
