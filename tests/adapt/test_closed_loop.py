"""The closed loop, as a user runs it, on a tiny generated collection with a tiny network:

dataset build (known cutouts + the collection's own backgrounds) -> train -> export -> remove the
rest of the collection -> review only the images the model is unsure of -> vote -> review export ->
dataset build --merge -> train --resume on the grown dataset."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from alphacut.review import ReviewStore  # noqa: E402


def _sprite(rng: np.random.Generator) -> np.ndarray:
    rgba = np.zeros((8, 8, 4), np.uint8)
    top, left = (int(v) for v in rng.integers(1, 3, 2))
    rgba[top : top + 5, left : left + 5, :3] = rng.integers(0, 256, 3)
    rgba[top : top + 5, left : left + 5, 3] = 255
    return rgba


@pytest.fixture()
def collection(tmp_path):
    """Six known cutouts (RGBA, 8 art px) and six other sprites shown at 4 px on the collection's stripes."""
    rng = np.random.default_rng(3)
    known, with_bg = tmp_path / "known", tmp_path / "with-bg"
    known.mkdir(), with_bg.mkdir()
    for index in range(6):
        Image.fromarray(_sprite(rng), "RGBA").save(known / f"known{index}.png")
        rgba = np.repeat(np.repeat(_sprite(rng), 4, 0), 4, 1)
        stripes = np.where((np.arange(32) // 4 % 2)[:, None, None] == 0, [90, 60, 20], [120, 90, 40]).astype(np.uint8)
        alpha = rgba[..., 3:] / 255
        shown = (rgba[..., :3] * alpha + np.broadcast_to(stripes, (32, 32, 3)) * (1 - alpha)).astype(np.uint8)
        Image.fromarray(shown).save(with_bg / f"other{index}.png")
    return known, with_bg


def test_closed_loop_end_to_end(collection, tiny_arch, alphacut_run, tmp_path):
    known, with_bg = collection
    ds, run, cutouts, winners, db = (tmp_path / n for n in ("ds", "run", "cutouts", "winners", "votes.sqlite3"))
    ok = lambda *args: alphacut_run(*args)[0] == 0 or pytest.fail(f"alphacut {' '.join(args)} failed")  # noqa: E731

    ok("dataset", "build", "--rgba", str(known), "-o", str(ds), "--scale", "4", "--per-subject", "1",
       "--backgrounds", "solid,noise", "--backgrounds-from", str(with_bg), "--val", "0.34", "-q")
    assert {s["background"] for s in json.loads((ds / "manifest.json").read_text())["samples"]} == {"solid", "noise", "own"}
    ok("train", str(ds), "-o", str(run), "--arch", tiny_arch, "--init", "none", "--size", "grid", "--batch", "4",
       "--epochs", "1", "--steps-per-epoch", "2", "--precision", "fp32", "--threads", "1", "-q")
    ok("export", str(run), "--name", "loop")
    ok("remove", str(with_bg), "-o", str(cutouts), "--model", "loop", "--preset", "pixel-art")
    assert len(list(cutouts.glob("*.png"))) == 6

    code, out, err = alphacut_run("review", "create", "loop", "--images", str(with_bg), "--candidates", str(cutouts),
                                  "--unsure-of", "loop", "--below", "0.999", "--db", str(db))
    assert code == 0, err
    store = ReviewStore(str(db))
    items = store.items("loop")
    assert 0 < len(items) <= 6 and f"of {len(items)} of 6 images" in err  # an untrained model is unsure of some
    for item in items:
        store.vote("loop", item.id, "owner", "cutouts")
    ok("review", "export", "loop", "-o", str(winners), "--db", str(db))
    assert len(list((winners / "training" / "masks").glob("*.png"))) == len(items)

    grown = tmp_path / "ds2"
    ok("dataset", "build", "--images", str(winners / "training" / "images"), "--masks", str(winners / "training" / "masks"),
       "--merge", str(ds), "-o", str(grown), "--val", "0", "-q")
    manifest = json.loads((grown / "manifest.json").read_text())
    old = json.loads((ds / "manifest.json").read_text())["samples"]
    assert len(manifest["samples"]) == len(old) + len(items)
    assert [s["split"] for s in manifest["samples"][: len(old)]] == [s["split"] for s in old]  # splits carried over

    ok("train", str(grown), "-o", str(run), "--epochs", "2", "--resume", "--threads", "1", "-q")
    state = torch.load(run / "last.pt", map_location="cpu", weights_only=False)
    assert state["epoch"] == 2 and state["config"]["data"] == str(grown) and state["config"]["grid"]
