"""One option means one thing everywhere: the CLI, the Python API, the HTTP API and ``alphacut eval``
build :class:`RemoveOptions` through one constructor, so the same options give the same bytes."""
from __future__ import annotations

import inspect
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alphacut
from alphacut.errors import OptionError
from alphacut.judge.dataset import Sample
from alphacut.judge.pipelines import PredictionCache, parse_pipeline
from alphacut.pipeline import RemoveOptions
from alphacut.pipeline.options import user_option_names

# (CLI flags, API keywords, HTTP query, eval pipeline or None where eval has no such output)
CASES = [
    ([], {}, {}, "auto"),
    (["--preset", "portrait", "--matting", "cf"], {"preset": "portrait", "matting": "cf"},
     {"preset": "portrait", "matting": "cf"}, "portrait=matting:cf"),
    (["--preset", "photo", "--tta", "2", "--main-subject", "--tuning", "band:0.02,guided_eps:1e-4"],
     {"preset": "photo", "tta": 2, "main_subject": True, "tuning": "band:0.02,guided_eps:1e-4"},
     {"preset": "photo", "tta": "2", "main_subject": "true", "tuning": "band:0.02,guided_eps:1e-4"},
     "photo=tta:2,main_subject:true,band:0.02,guided_eps:1e-4"),
    (["--preset", "graphic", "--keep-soft", "--no-decontaminate"],
     {"preset": "graphic", "keep_soft": True, "decontaminate": False},
     {"preset": "graphic", "keep_soft": "true", "decontaminate": "false"}, "graphic=keep_soft:true,decontaminate:false"),
    (["--preset", "product", "--threshold", "0.4"], {"preset": "product", "threshold": 0.4},
     {"preset": "product", "threshold": "0.4"}, "product=threshold:0.4"),
    (["--bg", "#336699", "--crop", "--margin", "3", "--shadow", "drop"],
     {"bg": "#336699", "crop": True, "margin": 3, "shadow": "drop"},
     {"bg": "#336699", "crop": "true", "margin": "3", "shadow": "drop"}, None),
]


def soft_photo() -> Image.Image:
    """A bright blob fading into a dark, textured background: the tiny model's output is soft
    over a wide ring, so every refinement stage has pixels to change."""
    y, x = np.mgrid[0:72, 0:96].astype(np.float32)
    blob = np.exp(-(((x - 44) / 22) ** 2 + ((y - 38) / 18) ** 2))
    texture = 25 * np.sin(x / 3.0) * np.cos(y / 4.0)
    rgb = np.stack([235 * blob + 20 + texture, 200 * blob + 30, 180 * blob + 40 - texture], axis=-1)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")


@pytest.fixture()
def make_client(tiny_model):
    """A test client of ``alphacut serve`` on the tiny model (the server tests' fixture, without
    making this module depend on their folder)."""
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    from alphacut.server.app import create_app
    from alphacut.server.settings import ServerSettings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    clients = []

    def make():
        client = TestClient(create_app(ServerSettings(models=(str(tiny_model),))), base_url="http://localhost")  # a Host the server answers
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture()
def photo_file(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    soft_photo().save(path)
    return path


@pytest.mark.parametrize("cli, api, query, pipeline", CASES, ids=[" ".join(c[0]) or "default" for c in CASES])
def test_the_same_options_give_the_same_bytes_everywhere(cli, api, query, pipeline, photo_file, tmp_path, tiny_model,
                                                       alphacut_run, make_client):
    out = tmp_path / "cli.png"
    code, _, stderr = alphacut_run("remove", str(photo_file), "-o", str(out), "--model", str(tiny_model), "-q", *cli)
    assert code == 0, stderr
    from_cli = out.read_bytes()

    from_api = alphacut.remove(photo_file.read_bytes(), model=str(tiny_model), **api)

    client = make_client()
    response = client.post("/v1/remove", params=query, files={"file": ("photo.png", photo_file.read_bytes(), "image/png")})
    assert response.status_code == 200, response.text
    from_http = response.content

    assert from_api == from_cli
    assert from_http == from_cli
    if pipeline is not None:
        cache = PredictionCache()
        cache.start_image("photo")
        sample = Sample(name="photo", image=photo_file, gt=photo_file, category="all", set_name="s")
        outcome = parse_pipeline(f"{pipeline},model:{tiny_model}" if "=" in pipeline else f"{pipeline}=model:{tiny_model}") \
            .run(Image.open(photo_file).convert("RGB"), sample, cache)
        cli_alpha = np.asarray(Image.open(io.BytesIO(from_cli)).getchannel("A"))
        assert np.array_equal(np.rint(outcome.alpha * 255).astype(np.uint8), cli_alpha)


def test_the_cases_differ_from_each_other(photo_file, tiny_model):
    """The comparison above would pass on options that all did nothing: they don't."""
    outputs = {alphacut.remove(photo_file.read_bytes(), model=str(tiny_model), **api) for _, api, _, _ in CASES}
    assert len(outputs) == len(CASES)


def test_every_surface_offers_every_option():
    names = user_option_names()
    # the limits are not options of the result: the server sets them for all requests (ServerSettings)
    limits = {"max_pixels", "max_frames"}
    api = set(inspect.signature(alphacut.remove).parameters) - {"image", "model", "format", "device", "runtime"} - limits
    assert api == names

    from alphacut.cli.remove_cmd import remove as remove_command

    cli = set(inspect.signature(remove_command).parameters)
    cli_only = {"inputs", "output", "model", "fmt", "png_level", "skip_existing", "overwrite", "device", "runtime",
                "threads", "quiet", "engine", "ray_address", "workers"} | limits
    cli_only |= {"point", "point_off", "box"}  # picking objects in one image (edit.select), not a RemoveOptions field
    assert cli - cli_only == names

    pytest.importorskip("fastapi")
    from alphacut.server.params import RemoveParams

    # bg_image is a file part of the upload, not a query field
    assert set(RemoveParams.model_fields) - {"model", "format"} == names - {"bg_image"}


@pytest.mark.parametrize("values, message", [
    ({"keep_soft": True, "threshold": 0.5}, "exclude each other"),
    ({"tta": 3}, "tta must be 1, 2 or 4"),
    ({"tta": True}, "tta must be 1, 2 or 4"),
    ({"matting": "magic"}, "matting must be"),
    ({"threshold": float("nan")}, "threshold must be"),
    ({"threshold": 1.5}, "threshold must be"),
    ({"margin": -1}, "margin must be"),
    ({"margin": 2.5}, "margin must be"),
    ({"bg_fit": "tile"}, "bg_fit must be"),
    ({"preset": "shiny"}, "unknown preset"),
    ({"bg": "notacolour"}, "bad colour"),
    ({"bg": (1, 2)}, "bad colour"),
    ({"shadow": "long"}, "shadow must be"),
    ({"bg_blur": 0.1}, "bg_blur must be"),
    ({"ecommerce": 8}, "ecommerce must be"),
    ({"harmonize": 2}, "harmonize must be"),
    ({"tuning": "band:wide"}, "band:wide must be float"),
    ({"tuning": "sharpen:1"}, "unknown refinement setting 'sharpen'"),
    ({"tuning": "band"}, "must be key:value"),
    ({"tuning": {"band": float("inf")}}, "band must be a finite number"),
    ({"colour": "red"}, "unknown option"),
    ({"scene": None}, "unknown option"),
])
def test_bad_values_are_option_errors(values, message):
    with pytest.raises(OptionError, match=message):
        RemoveOptions.from_user(**values)


def test_bad_options_fail_the_same_way_on_every_surface(photo_file, tiny_model, alphacut_run, make_client):
    code, _, stderr = alphacut_run("remove", str(photo_file), "--model", str(tiny_model), "--tuning", "band:wide")
    assert code == 2 and stderr.strip().splitlines() == ["alphacut: error: refinement setting band:wide must be float"]
    with pytest.raises(OptionError, match="must be float"):
        alphacut.remove(photo_file.read_bytes(), model=str(tiny_model), tuning="band:wide")
    response = make_client().post("/v1/remove?tuning=band:wide", files={"file": ("p.png", photo_file.read_bytes())})
    assert response.status_code == 422 and response.json()["error"] == "invalid_option"
    with pytest.raises(OptionError, match="must be float"):
        parse_pipeline("photo=band:wide")


def test_eval_auto_with_options_stays_auto():
    """``auto=matting:cf`` once fell back to ``photo``; it is ``remove --matting cf``: auto plus the override."""
    options = parse_pipeline("auto=matting:cf").remove_options()
    assert options == RemoveOptions.from_user(matting="cf")
    graphic = np.full((40, 40, 3), 250, np.uint8)
    graphic[10:30, 10:30] = (200, 30, 30)
    assert options.settings(graphic).flat_background  # auto still chose the graphic preset for it
