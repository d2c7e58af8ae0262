"""``alphacut layers``, ``erase --point/--point-off`` and ``remove --point/--box`` end to end, with a
tiny model built by the test."""
from __future__ import annotations

import json
import zipfile

import numpy as np
from PIL import Image


def two_objects(tmp_path):
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 40, (96, 128, 3), dtype=np.uint8)
    rgb[20:60, 10:50] = (240, 235, 230)
    rgb[40:80, 80:115] = (225, 240, 245)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    return tmp_path / "photo.png", rgb


def test_layers_writes_psd_ora_and_a_folder(alphacut_cli, tmp_path, tiny_model):
    from psd_tools import PSDImage

    photo, rgb = two_objects(tmp_path)
    done = alphacut_cli("layers", str(photo), "-m", str(tiny_model), "--fill", "telea")
    assert done.returncode == 0, done.stderr
    assert b"2 object(s)" in done.stderr
    document = PSDImage.open(tmp_path / "photo.layers.psd")
    assert [layer.name for layer in document] == ["background", "object 1 edge", "object 1", "object 2 edge", "object 2"]
    merged = np.asarray(document.composite().convert("RGB"), np.float32)
    assert np.abs(merged - rgb).mean() < 1.0
    ora = alphacut_cli("layers", str(photo), "-m", str(tiny_model), "--fill", "telea", "--shadows", "-o", str(tmp_path / "p.ora"), "-q")
    assert ora.returncode == 0, ora.stderr
    with zipfile.ZipFile(tmp_path / "p.ora") as archive:
        assert archive.namelist()[0] == "mimetype" and "stack.xml" in archive.namelist()
    folder = alphacut_cli("layers", str(photo), "-m", str(tiny_model), "--fill", "telea", "-o", str(tmp_path / "out"), "-q")
    assert folder.returncode == 0, folder.stderr
    index = json.loads((tmp_path / "out" / "layers.json").read_text())
    objects = [entry for entry in index["layers"] if entry["kind"] == "object"]
    assert len(objects) == 2 and all(0 < entry["score"] <= 1 for entry in objects)
    assert np.array_equal(np.asarray(Image.open(photo)), rgb)  # the input is never touched


def test_layers_refuses_to_overwrite_and_bad_targets(alphacut_cli, tmp_path, tiny_model):
    photo, _ = two_objects(tmp_path)
    (tmp_path / "kept.psd").write_bytes(b"precious")
    again = alphacut_cli("layers", str(photo), "-m", str(tiny_model), "-o", str(tmp_path / "kept.psd"))
    assert again.returncode == 3 and b"--overwrite" in again.stderr
    assert (tmp_path / "kept.psd").read_bytes() == b"precious"
    wrong = alphacut_cli("layers", str(photo), "-m", str(tiny_model), "-o", str(tmp_path / "out.png"))
    assert wrong.returncode == 3 and b".psd or .ora" in wrong.stderr
    Image.new("RGB", (40, 30), (5, 5, 5)).save(tmp_path / "dark.png")
    empty = alphacut_cli("layers", str(tmp_path / "dark.png"), "-m", str(tiny_model))
    assert empty.returncode == 2 and b"no object" in empty.stderr


def test_erase_point_off_keeps_the_object_under_it(alphacut_cli, tmp_path, tiny_model):
    photo, rgb = two_objects(tmp_path)
    done = alphacut_cli("erase", str(photo), "--box", "0,0,128,96", "--point-off", "95,60", "-m", str(tiny_model),
                        "--fill", "telea", "-o", str(tmp_path / "erased.png"))
    assert done.returncode == 0, done.stderr
    result = np.asarray(Image.open(tmp_path / "erased.png"))
    assert result[25:55, 15:45].max() < 120  # the left object is gone
    assert np.array_equal(result[40:80, 80:115], rgb[40:80, 80:115])  # the right one stays


def test_bad_clicks_are_one_line_errors(alphacut_cli, tmp_path, tiny_model):
    photo, _ = two_objects(tmp_path)
    for args in (["--point", "inf,0"], ["--point", "500,10"], ["--point-off", "3,3"]):
        done = alphacut_cli("erase", str(photo), *args, "-m", str(tiny_model))
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.decode().strip().count("\n") == 0 and done.stderr.startswith(b"alphacut: error:")
    assert not (tmp_path / "photo.erased.png").exists()


def test_remove_point_keeps_only_the_object_under_the_click(alphacut_cli, tmp_path, tiny_model):
    photo, _ = two_objects(tmp_path)
    done = alphacut_cli("remove", str(photo), "--point", "30,40", "-m", str(tiny_model), "-o", str(tmp_path / "one.png"))
    assert done.returncode == 0, done.stderr
    alpha = np.asarray(Image.open(tmp_path / "one.png"))[..., 3]
    assert alpha[25:55, 15:45].min() > 200 and alpha[45:75, 85:110].max() < 10
    boxed = alphacut_cli("remove", str(photo), "--box", "70,30,125,90", "--mask", "-m", str(tiny_model), "-o", str(tmp_path / "m.png"))
    assert boxed.returncode == 0, boxed.stderr
    mask = np.asarray(Image.open(tmp_path / "m.png"))
    assert mask[45:75, 85:110].min() > 200 and mask[25:55, 15:45].max() < 10
    several = alphacut_cli("remove", str(photo), str(photo), "--point", "30,40", "-m", str(tiny_model), "-o", str(tmp_path / "x"))
    assert several.returncode == 2 and b"one input" in several.stderr
    outside = alphacut_cli("remove", str(photo), "--point", "300,40", "-m", str(tiny_model), "-o", str(tmp_path / "y.png"))
    assert outside.returncode == 2 and b"outside the 128x96 image" in outside.stderr
    assert not (tmp_path / "y.png").exists()
