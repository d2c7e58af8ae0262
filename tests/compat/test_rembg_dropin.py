"""``alphacut.compat.rembg`` in place of ``rembg``: rembg's README examples run with only the import
changed, and ``remove``/``new_session`` keep rembg's signatures, return types and errors."""
from __future__ import annotations

import inspect
import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alphacut.compat.rembg as dropin
from alphacut.compat.rembg_fields import RembgOptions, RembgParamError, our_model_name, parse_http
from alphacut.errors import ModelNotInstalledError
from alphacut.models import spec_for_file
from alphacut.models.registry import save_user_model

SUBJECT = (16, 12, 48, 36)  # the white square the tiny model keeps

# rembg's README ("Usage as a library"), verbatim; each test swaps only the import.
README_BYTES = """
from rembg import remove

with open('input.png', 'rb') as i:
    with open('output.png', 'wb') as o:
        input = i.read()
        output = remove(input)
        o.write(output)
"""
README_PIL = """
from rembg import remove
from PIL import Image

input = Image.open('input.png')
output = remove(input)
output.save('output.png')
"""
README_NUMPY = """
from rembg import remove
import cv2

input = cv2.imread('input.png')
output = remove(input)
cv2.imwrite('output.png', output)
"""
README_FORCE_BYTES = """
from rembg import remove

with open('input.png', 'rb') as i:
    with open('output.png', 'wb') as o:
        input = i.read()
        output = remove(input, force_return_bytes=True)
        o.write(output)
"""
README_BATCH = """
from pathlib import Path
from rembg import remove, new_session

session = new_session()

for file in Path('path/to/folder').glob('*.png'):
    input_path = str(file)
    output_path = str(file.parent / (file.stem + ".out.png"))

    with open(input_path, 'rb') as i:
        with open(output_path, 'wb') as o:
            input = i.read()
            output = remove(input, session=session)
            o.write(output)
"""


def switched(example: str) -> str:
    """The one change a user makes."""
    changed = example.replace("from rembg import", "from alphacut.compat.rembg import")
    assert changed.count("alphacut.compat.rembg") == 1 and "rembg import" not in changed.replace("compat.rembg import", "")
    return changed


def white_square(size=(64, 48)) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), SUBJECT)
    return image


def assert_cut_out(image: Image.Image) -> None:
    assert image.mode == "RGBA" and image.size == (64, 48)
    alpha = np.asarray(image.getchannel("A"))
    left, top, right, bottom = SUBJECT
    assert alpha[top + 2:bottom - 2, left + 2:right - 2].min() > 240
    assert alpha[:top - 2].max() < 15 and alpha[:, :left - 2].max() < 15


@pytest.fixture()
def workdir(tmp_path: Path, tiny_model: Path, monkeypatch) -> Path:
    """A folder with input.png, and the tiny model as the drop-in's default session."""
    monkeypatch.setattr(dropin, "DEFAULT_SESSION", str(tiny_model))
    monkeypatch.chdir(tmp_path)
    white_square().save(tmp_path / "input.png")
    return tmp_path


@pytest.mark.parametrize("example", [README_BYTES, README_PIL, README_NUMPY, README_FORCE_BYTES],
                         ids=["bytes", "pil", "numpy", "force-bytes"])
def test_readme_examples_run_with_only_the_import_changed(workdir, example):
    exec(compile(switched(example), "README.md", "exec"), {})
    with Image.open(workdir / "output.png") as output:
        output.load()
        if example is README_NUMPY:  # cv2 writes the RGBA array as BGRA: same alpha, channels swapped
            assert output.mode == "RGBA"
        assert_cut_out(output)


def test_readme_batch_example_with_session_reuse(workdir):
    folder = workdir / "path" / "to" / "folder"
    folder.mkdir(parents=True)
    for name in ("a", "b"):
        white_square().save(folder / f"{name}.png")
    exec(compile(switched(README_BATCH), "README.md", "exec"), {})
    for name in ("a", "b"):
        with Image.open(folder / f"{name}.out.png") as output:
            output.load()
            assert_cut_out(output)


def test_return_types_follow_the_input(workdir):
    session = dropin.new_session()
    png = (workdir / "input.png").read_bytes()
    as_bytes = dropin.remove(png, session=session)
    assert isinstance(as_bytes, bytes) and as_bytes.startswith(b"\x89PNG")
    as_pil = dropin.remove(white_square(), session=session)
    assert isinstance(as_pil, Image.Image)
    assert_cut_out(as_pil)
    as_array = dropin.remove(np.asarray(white_square()), session=session)
    assert isinstance(as_array, np.ndarray) and as_array.shape == (48, 64, 4) and as_array.dtype == np.uint8
    assert np.array_equal(as_array, np.asarray(as_pil))
    forced = dropin.remove(white_square(), session=session, force_return_bytes=True)
    assert isinstance(forced, bytes) and Image.open(io.BytesIO(forced)).mode == "RGBA"


def test_only_mask_post_process_and_bgcolor(workdir):
    mask = dropin.remove(white_square(), only_mask=True)
    assert isinstance(mask, Image.Image) and mask.mode == "L" and mask.size == (64, 48)
    assert dropin.remove(np.asarray(white_square()), only_mask=True).shape == (48, 64)
    hard = np.asarray(dropin.remove(white_square(), only_mask=True, post_process_mask=True))
    assert set(np.unique(hard)) <= {0, 255}
    on_red = dropin.remove(white_square(), bgcolor=(255, 0, 0, 255))
    assert on_red.mode == "RGBA" and on_red.getpixel((2, 2)) == (255, 0, 0, 255) and on_red.getpixel((30, 24))[:3] == (255, 255, 255)
    matted = dropin.remove(white_square(), alpha_matting=True, alpha_matting_erode_size=4)
    assert_cut_out(matted)


def test_signatures_match_rembgs():
    remove_params = list(inspect.signature(dropin.remove).parameters)
    assert remove_params == ["data", "alpha_matting", "alpha_matting_foreground_threshold",
                             "alpha_matting_background_threshold", "alpha_matting_erode_size", "session", "only_mask",
                             "post_process_mask", "bgcolor", "force_return_bytes", "args", "kwargs"]
    defaults = {name: p.default for name, p in inspect.signature(dropin.remove).parameters.items()}
    assert (defaults["alpha_matting_foreground_threshold"], defaults["alpha_matting_background_threshold"],
            defaults["alpha_matting_erode_size"]) == (240, 10, 10)
    assert list(inspect.signature(dropin.new_session).parameters)[0] == "model_name"


def test_unknown_model_names_what_is_installed(tiny_model):
    save_user_model(spec_for_file(tiny_model))
    with pytest.raises(ValueError, match=r"No session class found for model 'u2net'\. Installed here: .*tiny"):
        dropin.new_session("u2net")


def test_rembg_names_map_to_ours(tiny_model):
    assert our_model_name("isnet-general-use") == "isnet" and our_model_name("tiny") == "tiny"
    with pytest.raises(ModelNotInstalledError, match="isnet"):  # mapped: it asks for our isnet, not installed here
        dropin.new_session("isnet-general-use")
    custom = dropin.new_session("dis_custom", model_path=str(tiny_model))
    assert custom.model_name == "dis_custom" and custom.inner_session.spec.name == "tiny"
    masks = custom.predict(white_square())
    assert len(masks) == 1 and masks[0].mode == "L" and masks[0].size == (64, 48)
    with pytest.raises(ValueError, match="model_path"):
        dropin.new_session("dis_custom")


def test_unsupported_arguments_are_errors_not_ignored(workdir):
    with pytest.raises(TypeError, match="sam_prompt"):
        dropin.remove(white_square(), sam_prompt=[{"type": "point"}])
    with pytest.raises(ValueError, match="Input type .* is not supported"):
        dropin.remove("input.png")  # rembg takes no paths either
    with pytest.raises(TypeError, match="sess_opts"):
        dropin.new_session("isnet-general-use", sess_opts=object())
    with pytest.raises(ValueError, match="providers"):
        dropin.new_session(providers=["TensorrtExecutionProvider"])
    assert dropin.remove(white_square(), putalpha=True).mode == "RGBA"  # rembg's putalpha: accepted
    with pytest.raises(RembgParamError, match="bgcolor"):
        dropin.remove(white_square(), bgcolor=(1, 2, 3))
    with pytest.raises(RembgParamError, match="foreground_threshold"):
        dropin.remove(white_square(), alpha_matting_foreground_threshold=300)


def test_options_map_onto_remove_options():
    assert RembgOptions().remove_values((64, 48)) == {"mask": False}
    values = RembgOptions(alpha_matting=True, foreground_threshold=200, background_threshold=20, erode_size=8,
                          post_process_mask=True, bgcolor=(1, 2, 3, 4)).remove_values((300, 400))
    assert values["matting"] == "cf" and values["threshold"] == 0.5 and values["bg"] == (1, 2, 3, 4)
    assert values["tuning"]["low"] == pytest.approx(20 / 255) and values["tuning"]["high"] == pytest.approx(200 / 255)
    assert values["tuning"]["band"] == pytest.approx(4 / math.hypot(300, 400))
    assert "bg" not in RembgOptions(only_mask=True, bgcolor=(1, 2, 3, 4)).remove_values((1, 1))
    with pytest.raises(RembgParamError):
        RembgOptions(alpha_matting=True, foreground_threshold=10, background_threshold=10)


def test_http_parameters():
    parsed = parse_http({})
    assert parsed.model is None and parsed.options == RembgOptions()
    parsed = parse_http({"model": "isnet-general-use", "a": "true", "af": "230", "ab": "5", "ae": "0", "om": "1",
                         "ppm": "yes", "bgc": "10,20,30", "extras": "{}"})
    assert parsed.model == "isnet-general-use"
    assert parsed.options == RembgOptions(True, 230, 5, 0, True, True, (10, 20, 30, 255))
    for bad, name in ((({"af": "256"}), "af"), ({"a": "sure"}, "a"), ({"ae": "-1"}, "ae"), ({"bgc": "1,2"}, "bgc"),
                      ({"extras": "[1]"}, "extras"), ({"extras": '{"sam_prompt": []}'}, "extras"),
                      ({"extras": "{"}, "extras"), ({"alpha": "1"}, "alpha")):
        with pytest.raises(RembgParamError) as caught:
            parse_http(bad)
        assert caught.value.name == name
