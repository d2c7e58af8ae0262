"""The local engine: every job gets its own image's result (the pixels of a one-image run), one bad
file never stops a run, decoding ahead keeps to the pixel budget, and batched predictions change
nothing."""
from __future__ import annotations

import io
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import alphacut
from alphacut.engines import run
from alphacut.engines import steps as steps_module
from alphacut.engines.local import run_local
from alphacut.engines.plan import STDIO, EngineConfig, Job, plan_jobs
from alphacut.io.decode import decode_image
from alphacut.io.encode import encode_frames
from alphacut.pipeline import RemoveOptions, Remover

from .test_plan import touch_image




def varied_image(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A subject whose place and colours differ per file, so swapped results would show."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 60, (size[1], size[0], 3), dtype=np.uint8)
    x, y = int(rng.integers(0, size[0] // 2)), int(rng.integers(0, size[1] // 2))
    pixels[y:y + size[1] // 2, x:x + size[0] // 2] = rng.integers(180, 256, 3, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def frames_of(data: bytes | Path) -> list[np.ndarray]:
    image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [np.asarray(frame.copy()) for frame in ImageSequence.Iterator(image)]


def alone(remover: Remover, source: Path | bytes) -> list[np.ndarray]:
    """What one image gives on its own, through the Remover directly (no engine, no batch)."""
    return [np.asarray(frame) for frame in remover.process(decode_image(source))]


def same_pixels(written: list[np.ndarray], expected: list[np.ndarray]) -> bool:
    return len(written) == len(expected) and all(np.array_equal(a, b) for a, b in zip(written, expected))


@pytest.fixture()
def remover(tiny_model) -> Remover:
    return Remover(alphacut.load_model(tiny_model))


@pytest.fixture()
def config(tiny_model) -> EngineConfig:
    return EngineConfig(model=str(tiny_model), runtime="onnxruntime", threads=1)


def test_one_corrupt_file_does_not_stop_the_batch(tmp_path, remover, config):
    folder = tmp_path / "in"
    for index in range(4):
        varied_image(folder / f"good{index}.png", (16, 12), index)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    plan = plan_jobs([str(folder)], str(out), None)
    finished: list[tuple[str, str | None]] = []
    report = run_local(plan.jobs, replace(config, prefetch=2), remover=remover,
                       on_finished=lambda job, error: finished.append((job.relative, error)))

    assert report.written == 4
    assert [f.name for f in report.failures] == ["broken.jpg"]
    assert "broken.jpg" in report.failures[0].reason
    assert sorted(name for name, _ in finished) == sorted(j.relative for j in plan.jobs)
    assert sorted(p.name for p in out.iterdir()) == [f"good{i}.png" for i in range(4)]
    for index in range(4):
        result = Image.open(out / f"good{index}.png")
        assert result.mode == "RGBA" and result.size == (16, 12)
        assert same_pixels(frames_of(out / f"good{index}.png"), alone(remover, folder / f"good{index}.png"))


def test_the_engine_loads_the_model_from_the_config(tmp_path, remover, config):
    """``run`` (what the CLI calls) builds the Remover itself: the same files as with one given."""
    touch_image(tmp_path / "in" / "a.png")
    varied_image(tmp_path / "in" / "b.png", (20, 14), 3)
    masks = replace(config, options=RemoveOptions(mask=True))
    report = run(plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"), None).jobs, masks, engine="local")
    assert report.written == 2
    mask_remover = Remover(remover.session, RemoveOptions(mask=True))
    for name in ("a.png", "b.png"):
        assert Image.open(tmp_path / "out" / name).mode == "L"
        assert same_pixels(frames_of(tmp_path / "out" / name), alone(mask_remover, tmp_path / "in" / name))


def test_unknown_engine_is_refused(config):
    with pytest.raises(ValueError, match="unknown engine"):
        run([], config, engine="gpu-farm")  # type: ignore[arg-type]


def test_model_failure_on_one_image_is_reported(tmp_path, remover, config):
    class FlakyRemover(Remover):
        def process(self, decoded, hints=None, **kwargs):
            if decoded.name == "bad.png":
                raise RuntimeError("boom")
            return super().process(decoded, hints, **kwargs)

    folder = tmp_path / "in"
    touch_image(folder / "bad.png")
    touch_image(folder / "ok.png")
    report = run_local(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs, config,
                       remover=FlakyRemover(remover.session))
    assert report.written == 1
    assert [(f.name, f.reason) for f in report.failures] == [("bad.png", "processing failed (RuntimeError: boom)")]


def test_unwritable_target_is_reported(tmp_path, remover, config):
    touch_image(tmp_path / "in.png")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    jobs = [Job(str(tmp_path / "in.png"), str(tmp_path / "blocker" / "out.png"), "in.png")]
    report = run_local(jobs, config, remover=remover)
    assert report.written == 0 and report.failures[0].name == "in.png"


def test_jpeg_of_a_cutout_fails_per_file(tmp_path, remover, config):
    touch_image(tmp_path / "in.png")
    jobs = [Job(str(tmp_path / "in.png"), str(tmp_path / "o.jpg"), "in.png")]
    report = run_local(jobs, replace(config, fmt="JPEG"), remover=remover)
    assert report.written == 0 and "JPEG" in report.failures[0].reason
    assert not (tmp_path / "o.jpg").exists()


def test_many_files_keep_their_own_results(tmp_path, remover, config):
    folder = tmp_path / "in"
    for index in range(9):  # more than prefetch + io threads: exercises the queues
        varied_image(folder / f"{index}.png", (10 + index, 12), index)
    report = run_local(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs,
                       replace(config, prefetch=2), remover=remover)
    assert report.written == 9 and report.failures == []
    for index in range(9):
        written = tmp_path / "out" / f"{index}.png"
        assert Image.open(written).size == (10 + index, 12)
        assert same_pixels(frames_of(written), alone(remover, folder / f"{index}.png"))


def test_stdin_to_stdout(tmp_path, remover, config, monkeypatch, square_image):
    data = io.BytesIO()
    square_image.save(data, "PNG")
    stdin = io.TextIOWrapper(io.BytesIO(data.getvalue()))
    stdout_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(stdout_bytes)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    report = run_local(plan_jobs([STDIO], None, None).jobs, config, remover=remover)
    assert report.written == 1
    result = Image.open(io.BytesIO(stdout_bytes.getvalue()))
    assert result.mode == "RGBA" and result.size == square_image.size
    assert same_pixels(frames_of(stdout_bytes.getvalue()), alone(remover, data.getvalue()))


def test_animation_is_written_as_an_animation(tmp_path, remover, config):
    frames = [Image.new("RGB", (16, 12), (i * 100, 255, 255)) for i in range(3)]
    for index, frame in enumerate(frames):
        frame.paste((0, 0, 0), (index * 3, 2, index * 3 + 6, 9))  # the subject moves: frames differ
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=0)
    target = tmp_path / "anim.png"
    report = run_local([Job(str(tmp_path / "anim.gif"), str(target), "anim.gif")], config, remover=remover)
    assert report.written == 1
    output = Image.open(target)
    assert output.n_frames == 3
    assert same_pixels(frames_of(target), alone(remover, tmp_path / "anim.gif"))


def test_masks_and_backgrounds_in_batch(tmp_path, remover, config):
    varied_image(tmp_path / "in.png", (16, 12), 7)
    jpeg = replace(config, fmt="JPEG")
    masks = Remover(remover.session, RemoveOptions(mask=True))
    run_local([Job(str(tmp_path / "in.png"), str(tmp_path / "m.png"), "in.png")],
              replace(config, fmt="PNG"), remover=masks)
    assert Image.open(tmp_path / "m.png").mode == "L"
    assert same_pixels(frames_of(tmp_path / "m.png"), alone(masks, tmp_path / "in.png"))
    run_local([Job(str(tmp_path / "in.png"), str(tmp_path / "m.jpg"), "in.png")], jpeg, remover=masks)
    assert Image.open(tmp_path / "m.jpg").mode == "L"
    white = Remover(remover.session, RemoveOptions(bg_color=(255, 255, 255, 255)))
    run_local([Job(str(tmp_path / "in.png"), str(tmp_path / "w.jpg"), "in.png")], jpeg, remover=white)
    assert Image.open(tmp_path / "w.jpg").mode == "RGB"
    # JPEG is lossy: the same pixels encoded the same way give the same bytes
    expected = encode_frames(white.process(decode_image(tmp_path / "in.png")), "JPEG")
    assert (tmp_path / "w.jpg").read_bytes() == expected


def test_large_images_are_not_decoded_ahead_past_the_pixel_budget(tmp_path, remover, config, monkeypatch):
    folder = tmp_path / "in"
    for index in range(5):
        touch_image(folder / f"{index}.png", size=(40, 30))  # 1,200 pixels each
    decoded_now: list[int] = []
    live = [0]
    real_decode = steps_module.read_frames

    def counting_decode(*args, **kwargs):
        live[0] += 1
        decoded_now.append(live[0])
        return real_decode(*args, **kwargs)

    class Releasing(Remover):
        def process(self, decoded, hints=None, **kwargs):
            frames = super().process(decoded, hints, **kwargs)
            live[0] -= 1  # counts images read but not yet processed or finished
            return frames

    monkeypatch.setattr(steps_module, "read_frames", counting_decode)
    jobs = plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs
    budget = replace(config, prefetch=3, pixels_in_flight=2_000)
    report = run_local(jobs, budget, remover=Releasing(remover.session))
    assert report.written == 5 and report.failures == []
    assert max(decoded_now) == 1  # 2 x 1,200 > 2,000: one image at a time


def test_header_pixels_reads_sizes_without_decoding(tmp_path):
    touch_image(tmp_path / "a.png", size=(40, 30))
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    assert steps_module.header_pixels(Job(str(tmp_path / "a.png"), "x", "a.png")) == 1200
    assert steps_module.header_pixels(Job(str(tmp_path / "bad.jpg"), "x", "bad.jpg")) == 0  # the decoder reports it
    assert steps_module.header_pixels(Job(STDIO, STDIO, "-")) == 0
    assert steps_module.header_pixels(Job("s3://bucket/a.png", "x", "a.png")) == 0


# --- predictions computed ahead ----------------------------------------------------------------

def test_ahead_predictions_go_with_their_own_image(tmp_path, remover, config, monkeypatch):
    """Batches of 3: each image's predictions are its own (kept with its pending read), they
    stand in for the model's call on that image, and every file equals its one-image result.
    (The tiny model takes one image per call, so the batch is computed image by image here;
    tests/models/test_batched.py runs a real batched engine.)"""
    folder = tmp_path / "in"
    for index in range(7):
        varied_image(folder / f"{index}.png", (64 + 3 * index, 60 + index), index)
    session = remover.session
    one_by_one, batch_sizes = [], []
    predict, predict_many = session.predict, session.predict_many
    monkeypatch.setattr(session, "predict", lambda image: one_by_one.append(image.size) or predict(image))
    monkeypatch.setattr(session, "predict_many",
                        lambda images: batch_sizes.append(len(images)) or [predict_many([image])[0] for image in images])
    jobs = plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs

    single = run_local(jobs, config, remover=remover)
    calls_alone, one_by_one[:] = len(one_by_one), []
    singles = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    batched = run_local(jobs, replace(config, batch_size=3), remover=remover)

    assert single.written == batched.written == 7 and batched.unbatched_predictions == 0
    assert batch_sizes == [3, 3, 1]
    assert len(one_by_one) == calls_alone - 7  # the batch stood in for one call per image
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == singles
    for index in range(7):
        assert same_pixels(frames_of(tmp_path / "out" / f"{index}.png"), alone(remover, folder / f"{index}.png"))


def test_a_failed_batch_runs_its_images_one_at_a_time_and_says_so(tmp_path, remover, config, caplog, monkeypatch):
    folder = tmp_path / "in"
    for index in range(4):
        varied_image(folder / f"{index}.png", (14, 10 + index), index)

    def out_of_memory(images):
        raise MemoryError("the batch does not fit")

    monkeypatch.setattr(remover.session, "predict_many", out_of_memory)
    with caplog.at_level("WARNING", logger="alphacut.engines.local"):
        report = run_local(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs,
                           replace(config, batch_size=2), remover=remover)
    assert report.written == 4 and report.failures == []
    assert report.unbatched_predictions == 2  # two batches of two, each tried once
    assert "running them one at a time" in caplog.text
    for index in range(4):
        assert same_pixels(frames_of(tmp_path / "out" / f"{index}.png"), alone(remover, folder / f"{index}.png"))


def test_a_batch_the_runtime_refuses_runs_its_images_one_at_a_time(tmp_path, remover, config):
    # the tiny model's graph takes one image per call: onnxruntime itself refuses a batch of two
    # (its InvalidArgument, not a Python exception class), and the images still all get written
    folder = tmp_path / "in"
    for index in range(4):
        varied_image(folder / f"{index}.png", (14, 10 + index), index)
    report = run_local(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs,
                       replace(config, batch_size=2), remover=remover)
    assert report.written == 4 and report.failures == []
    assert report.unbatched_predictions == 2


def test_a_bug_in_the_batched_call_is_not_taken_for_a_model_failure(tmp_path, remover, config, monkeypatch):
    folder = tmp_path / "in"
    for index in range(2):
        varied_image(folder / f"{index}.png", (14, 10), index)

    def broken(images):
        raise TypeError("a bug, not a model call failing")

    monkeypatch.setattr(remover.session, "predict_many", broken)
    with pytest.raises(TypeError, match="a bug"):
        run_local(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs,
                  replace(config, batch_size=2), remover=remover)


# --- object-store targets, checked as the jobs run ---------------------------------------------

def test_existing_object_store_targets_are_checked_by_the_engine(tmp_path, remover, config):
    pytest.importorskip("pyarrow")
    touch_image(tmp_path / "in" / "a.png")
    varied_image(tmp_path / "in" / "b.png", (16, 12), 1)
    out = f"file://{tmp_path / 'bucket'}"
    jobs = plan_jobs([f"file://{tmp_path / 'in'}"], out, None).jobs
    first = run_local(jobs, config, remover=remover)
    assert first.written == 2
    assert same_pixels(frames_of(tmp_path / "bucket" / "b.png"), alone(remover, tmp_path / "in" / "b.png"))
    again = run_local(jobs, config, remover=remover)
    assert again.written == 0 and all("exists (use --skip-existing or --overwrite)" in f.reason for f in again.failures)
    skipping = run_local(jobs, replace(config, skip_existing=True), remover=remover)
    assert (skipping.written, skipping.skipped, skipping.failures) == (0, 2, [])
    replacing = run_local(jobs, replace(config, overwrite=True), remover=remover)
    assert replacing.written == 2


def test_a_batch_cuts_out_the_subject_not_only_what_one_image_gives(tmp_path, remover, config, make_square):
    """The tests above compare a batch with one-image runs; this anchors both to the right pixels:
    the tiny model's subject (a white box) kept opaque and white, the black around it cleared."""
    left, top, right, bottom = box = (12, 8, 44, 30)
    (tmp_path / "in").mkdir()
    for index in range(3):
        make_square(size=(64, 48), box=box).save(tmp_path / "in" / f"{index}.png")
    plan = plan_jobs([str(tmp_path / "in")], str(tmp_path / "out"), None)
    assert run_local(plan.jobs, config, remover=remover).written == 3
    for index in range(3):
        cutout = np.asarray(Image.open(tmp_path / "out" / f"{index}.png"))
        assert cutout.shape == (48, 64, 4)
        inside, alpha = cutout[top + 2:bottom - 2, left + 2:right - 2], cutout[..., 3]
        assert (inside[..., 3] == 255).all() and (inside[..., :3] == 255).all()
        around = np.ones(alpha.shape, bool)
        around[top - 2:bottom + 2, left - 2:right + 2] = False
        assert (alpha[around] == 0).all()
