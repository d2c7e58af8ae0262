"""Layered files: PSD read back with psd-tools, OpenRaster checked as the spec lays it out, a folder
of PNGs with layers.json; nothing is overwritten without being asked."""
from __future__ import annotations

import json
import zipfile
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import OutputError
from alphacut.io.layered import RasterLayer, flatten, layered_format, write_layered

SIZE = (40, 30)


def stack() -> list[RasterLayer]:
    plate = Image.new("RGBA", SIZE, (10, 120, 30, 255))
    red = Image.new("RGBA", (12, 10), (250, 20, 10, 200))
    blue = Image.new("RGBA", (8, 8), (0, 0, 255, 255))
    return [RasterLayer("background", plate), RasterLayer("object 1", red, 5, 4, details={"score": 0.9}),
            RasterLayer("object 2", blue, 30, 20, visible=False)]


def test_flatten_composites_visible_layers_over_each_other():
    flat = flatten(SIZE, stack())
    assert np.allclose(flat[0, 0], (10, 120, 30, 255))
    expected = (np.array([250, 20, 10]) * 200 + np.array([10, 120, 30]) * 55) / 255
    assert np.allclose(flat[5, 6, :3], expected, atol=1e-3)
    assert np.allclose(flat[25, 35, :3], (10, 120, 30))  # object 2 is hidden


def test_psd_opens_back_with_its_layers(tmp_path):
    from psd_tools import PSDImage

    target = tmp_path / "out.psd"
    assert write_layered(target, SIZE, stack()) == "psd"
    document = PSDImage.open(target)
    assert document.size == SIZE
    assert [(layer.name, layer.visible, layer.bbox) for layer in document] == [
        ("background", True, (0, 0, 40, 30)), ("object 1", True, (5, 4, 17, 14)), ("object 2", False, (30, 20, 38, 28))]
    merged = np.asarray(document.composite().convert("RGB"), np.float32)
    assert np.abs(merged - flatten(SIZE, stack())[..., :3]).max() <= 1.5


def test_ora_is_an_openraster_zip(tmp_path):
    target = tmp_path / "out.ora"
    write_layered(target, SIZE, stack())
    with zipfile.ZipFile(target) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"image/openraster"
        root = ElementTree.fromstring(archive.read("stack.xml"))
        assert (root.get("w"), root.get("h")) == ("40", "30")
        layers = root.find("stack").findall("layer")
        assert [layer.get("name") for layer in layers] == ["object 2", "object 1", "background"]  # top first
        assert [layer.get("visibility") for layer in layers] == ["hidden", "visible", "visible"]
        assert (layers[1].get("x"), layers[1].get("y")) == ("5", "4")
        for layer in layers:
            Image.open(archive.open(layer.get("src"))).verify()
        assert Image.open(archive.open("mergedimage.png")).size == SIZE
        assert max(Image.open(archive.open("Thumbnails/thumbnail.png")).size) <= 256


def test_folder_holds_full_size_pngs_and_an_index(tmp_path):
    target = tmp_path / "layers"
    assert write_layered(target, SIZE, stack()) == "folder"
    index = json.loads((target / "layers.json").read_text())
    assert index["width"] == 40 and [entry["name"] for entry in index["layers"]] == ["background", "object 1", "object 2"]
    assert index["layers"][1]["box"] == [5, 4, 17, 14] and index["layers"][1]["score"] == 0.9
    for entry in index["layers"]:
        assert Image.open(target / entry["file"]).size == SIZE


def test_nothing_is_overwritten_unless_asked(tmp_path):
    target = tmp_path / "out.ora"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="--overwrite"):
        write_layered(target, SIZE, stack())
    assert target.read_bytes() == b"precious"
    write_layered(target, SIZE, stack(), overwrite=True)
    assert zipfile.is_zipfile(target)
    folder = tmp_path / "dir"
    write_layered(folder, SIZE, stack())
    with pytest.raises(OutputError, match="exists"):
        write_layered(folder, SIZE, stack())


def test_other_suffixes_are_refused(tmp_path):
    with pytest.raises(OutputError, match=".psd or .ora"):
        layered_format(tmp_path / "out.png")
