"""Train -> export -> register -> remove, end to end on generated shapes with a tiny network."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

torch = pytest.importorskip("torch")

from alphacut.adapt.dataset import BuildSettings, BuildReport, build_dataset, rgba_subjects  # noqa: E402
from alphacut.adapt.export import export_onnx, spec_for_training  # noqa: E402
from alphacut.adapt.losses import hybrid_loss, soft_iou_loss, ssim_loss  # noqa: E402
from alphacut.adapt.train import TrainConfig, load_checkpoint, train  # noqa: E402
from alphacut.errors import InputError, ModelError, OutputError  # noqa: E402

@pytest.fixture()
def shapes_dataset(tmp_path):
    """Discs and squares of random colours (RGBA), composited on solid and noisy backgrounds."""
    rng = np.random.default_rng(0)
    source = tmp_path / "rgba"
    source.mkdir()
    for index in range(24):
        image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3)) + (255,)
        left, top = (int(v) for v in rng.integers(2, 12, 2))
        size = int(rng.integers(12, 19))
        (draw.ellipse if index % 2 else draw.rectangle)((left, top, left + size, top + size), fill=colour)
        image.save(source / f"shape{index:02d}.png")
    out = tmp_path / "dataset"
    report = BuildReport()
    build_dataset(rgba_subjects(source, report), out, BuildSettings(backgrounds=("solid", "noise"), per_subject=2,
                  val_fraction=0.25, seed=1), report, [source])
    return out


def test_losses_on_hand_values():
    target = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])
    assert soft_iou_loss(target, target).item() == pytest.approx(0.0)
    half = torch.full_like(target, 0.5)
    # intersection 1, union 3 (+1 smoothing each): 1 - 2/4
    assert soft_iou_loss(half, target).item() == pytest.approx(0.5)
    assert ssim_loss(target, target).item() == pytest.approx(0.0, abs=1e-6)
    confident = torch.where(target > 0, 20.0, -20.0)
    assert hybrid_loss(confident, target).item() == pytest.approx(0.0, abs=1e-6)
    assert hybrid_loss(-confident, target).item() > 10


def test_training_improves_then_export_matches_and_remove_uses_it(tiny_arch, shapes_dataset, tmp_path):
    import alphacut
    from alphacut.models.install import add_user_model

    run = tmp_path / "run"
    config = TrainConfig(data=str(shapes_dataset), out=str(run), arch=tiny_arch, init=None, size=32, batch=6,
                         epochs=12, lr=3e-3, patience=12, precision="fp32", threads=1, seed=0)
    events = []
    result = train(config, report=lambda event, data: events.append(event))
    assert events[0] == "start" and events.count("epoch") == len(result.history)
    assert result.best_val_iou > result.start_val_iou + 0.2, (result.start_val_iou, result.best_val_iou)
    assert (run / "best.pt").is_file() and (run / "last.pt").is_file()

    network, saved, state = load_checkpoint(run)
    assert saved.arch == tiny_arch and state["val_iou"] == pytest.approx(result.best_val_iou)
    exported = export_onnx(network, saved.size, tmp_path / "tiny.onnx")
    assert exported.max_difference < 1e-3
    spec = add_user_model(spec_for_training("shapes", saved, exported.path), exported.path)
    assert spec.input_size == (32, 32)

    # a new red disc on a grey background, cut out through the public API by model name
    image = Image.new("RGB", (32, 32), (90, 90, 90))
    ImageDraw.Draw(image).ellipse((8, 8, 23, 23), fill=(220, 30, 30))
    mask = np.asarray(alphacut.remove(image, model="shapes", preset="raw", mask=True)).astype(np.float32) / 255
    # what the exported file itself says for this image (ISNet's preprocessing: x/255 - 0.5), so the
    # check is that remove runs this model, not how well 12 epochs learnt this one disc
    import onnxruntime

    session = onnxruntime.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    batch = (np.asarray(image, np.float32) / 255 - 0.5).transpose(2, 0, 1)[None]
    expected = np.asarray(session.run(None, {session.get_inputs()[0].name: batch})[0], np.float32).reshape(32, 32)
    assert np.abs(mask - expected).max() < 2 / 255 + 1e-3


def test_resume_continues_from_the_last_epoch(tiny_arch, shapes_dataset, tmp_path):
    run = tmp_path / "run"
    config = TrainConfig(data=str(shapes_dataset), out=str(run), arch=tiny_arch, init=None, size=32, batch=8,
                         epochs=1, precision="fp32", threads=1)
    first = train(config)
    assert [h.epoch for h in first.history] == [1]
    with pytest.raises(OutputError, match="--resume"):
        train(config)
    config.epochs = 2
    resumed = train(config, resume=True)
    assert [h.epoch for h in resumed.history] == [1, 2]
    assert resumed.history[1].steps == 2 * resumed.history[0].steps


def test_bad_configurations_are_refused(tiny_arch, shapes_dataset, tmp_path):
    with pytest.raises(InputError, match="nothing to resume"):
        train(TrainConfig(data=str(shapes_dataset), out=str(tmp_path / "new"), arch=tiny_arch, init=None), resume=True)
    with pytest.raises(ModelError, match="unknown architecture"):
        train(TrainConfig(data=str(shapes_dataset), out=str(tmp_path / "a"), arch="resnet", init=None))
    with pytest.raises(ModelError, match="--init"):
        train(TrainConfig(data=str(shapes_dataset), out=str(tmp_path / "b"), arch=tiny_arch, init="isnet"))
    with pytest.raises(InputError, match="not a dataset"):
        train(TrainConfig(data=str(tmp_path), out=str(tmp_path / "c"), arch=tiny_arch, init=None))


def test_a_time_limit_stops_within_the_epoch(tiny_arch, shapes_dataset, tmp_path):
    config = TrainConfig(data=str(shapes_dataset), out=str(tmp_path / "run"), arch=tiny_arch, init=None, size=32,
                         batch=2, epochs=5, precision="fp32", threads=1, time_limit=1e-6)
    result = train(config)
    assert "time limit" in result.stopped
    assert [(h.epoch, h.steps) for h in result.history] == [(1, 1)]  # one step, then validated and saved
    assert (tmp_path / "run" / "last.pt").is_file()


def test_a_pixel_art_model_is_registered_without_the_certain_fill(tmp_path):
    from alphacut.adapt.train import TrainConfig

    sprites = spec_for_training("sprites", TrainConfig(data="ds", out="run", pixel_art=True, size=136), tmp_path / "m.onnx")
    assert sprites.refine_defaults == (("flat_background", False),) and sprites.resize_filter == "nearest"
    photos = spec_for_training("photos", TrainConfig(data="ds", out="run"), tmp_path / "m.onnx")
    assert photos.refine_defaults == ()
