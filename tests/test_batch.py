"""Batch mode: which files are read, where results go, and one bad file never stops a run."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import alphacut
from alphacut.batch import STDIO, Job, check_targets, plan_jobs, run_batch
from alphacut.errors import OutputError
from alphacut.pipeline import RemoveOptions, Remover


def touch_image(path: Path, size=(16, 12), colour=(255, 255, 255)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste(colour, (4, 3, 12, 9))
    image.save(path)
    return path


def targets(plan) -> dict[str, str]:
    return {Path(job.source).name: job.target for job in plan.jobs}


@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "photos"
    for name in ["a.jpg", "sub/b.png", "sub/deep/c.webp", ".hidden/d.png", "sub/.e.jpg", "Z.JPEG"]:
        touch_image(root / name)
    (root / "notes.txt").write_text("not an image")
    (root / "sub" / "fake.png.bak").write_text("nope")
    return root


# --- plan_jobs ---------------------------------------------------------------------------------

def test_folder_is_searched_recursively_and_mirrored(tree, tmp_path):
    out = tmp_path / "out"
    plan = plan_jobs([str(tree)], str(out), None)
    assert plan.failures == []
    assert [(Path(j.source).relative_to(tree).as_posix(), j.target, j.relative) for j in plan.jobs] == [
        ("Z.JPEG", str(out / "Z.png"), "Z.JPEG"),
        ("a.jpg", str(out / "a.png"), "a.jpg"),
        ("sub/b.png", str(out / "sub" / "b.png"), "sub/b.png"),
        ("sub/deep/c.webp", str(out / "sub" / "deep" / "c.png"), "sub/deep/c.webp"),
    ]


def test_hidden_files_and_folders_are_skipped(tree, tmp_path):
    sources = {Path(j.source).name for j in plan_jobs([str(tree)], str(tmp_path / "out"), None).jobs}
    assert "d.png" not in sources and ".e.jpg" not in sources


def test_several_folders_keep_their_names(tmp_path):
    touch_image(tmp_path / "x" / "one.png")
    touch_image(tmp_path / "y" / "one.png")
    out = tmp_path / "out"
    plan = plan_jobs([str(tmp_path / "x"), str(tmp_path / "y")], str(out), None)
    assert sorted(j.target for j in plan.jobs) == [str(out / "x" / "one.png"), str(out / "y" / "one.png")]


def test_format_sets_the_extension(tree, tmp_path):
    plan = plan_jobs([str(tree)], str(tmp_path / "out"), "WEBP")
    assert all(job.target.endswith(".webp") for job in plan.jobs)
    assert all(job.target.endswith(".jpg") for job in plan_jobs([str(tree)], str(tmp_path / "o"), "JPEG").jobs)


def test_glob_patterns(tree, tmp_path):
    out = tmp_path / "out"
    plan = plan_jobs([str(tree / "sub" / "**" / "*.*")], str(out), None)
    # a pattern is taken literally (even non-images match), relative to its fixed prefix;
    # like the shell, * skips hidden names
    assert sorted(j.target for j in plan.jobs) == sorted(
        [str(out / "b.png"), str(out / "deep" / "c.png"), str(out / "fake.png.png")]
    )
    only_jpg = plan_jobs([str(tree / "*.jpg")], str(out), None)
    assert [Path(j.source).name for j in only_jpg.jobs] == ["a.jpg"]


def test_glob_without_matches_is_a_failure(tmp_path):
    plan = plan_jobs([str(tmp_path / "*.png")], str(tmp_path / "out"), None)
    assert plan.jobs == []
    assert [f.reason for f in plan.failures] == ["no file matches this pattern"]


def test_missing_input_is_a_failure_and_the_rest_still_run(tree, tmp_path):
    plan = plan_jobs([str(tree / "a.jpg"), str(tmp_path / "missing.png")], str(tmp_path / "out"), None)
    assert [Path(j.source).name for j in plan.jobs] == ["a.jpg"]
    assert [(f.name, f.reason) for f in plan.failures] == [(str(tmp_path / "missing.png"), "no such file or folder")]


def test_single_missing_file_without_output_reports_it(tmp_path):
    missing = str(tmp_path / "missing.png")
    plan = plan_jobs([missing], None, None)
    assert plan.jobs == []
    assert [(f.name, f.reason) for f in plan.failures] == [(missing, "no such file or folder")]


def test_empty_folder_is_a_failure(tmp_path):
    (tmp_path / "empty").mkdir()
    plan = plan_jobs([str(tmp_path / "empty")], str(tmp_path / "out"), None)
    assert plan.jobs == [] and plan.failures[0].reason == "folder has no images"


def test_single_file_to_an_explicit_output_file(tree, tmp_path):
    for name in ["cut.png", "cut.webp", "nested/new/cut.PNG"]:
        plan = plan_jobs([str(tree / "a.jpg")], str(tmp_path / name), None)
        assert [(j.source, j.target) for j in plan.jobs] == [(str(tree / "a.jpg"), str(tmp_path / name))]


def test_single_file_into_an_existing_folder(tree, tmp_path):
    folder = tmp_path / "results.png"  # a folder, even with an image-like name
    folder.mkdir()
    plan = plan_jobs([str(tree / "a.jpg")], str(folder), None)
    assert plan.jobs[0].target == str(folder / "a.png")


def test_single_file_to_a_new_folder(tree, tmp_path):
    plan = plan_jobs([str(tree / "a.jpg")], str(tmp_path / "out"), None)
    assert plan.jobs[0].target == str(tmp_path / "out" / "a.png")


@pytest.mark.parametrize(
    "fmt, mask, name",
    [(None, False, "a.cutout.png"), (None, True, "a.mask.png"), ("WEBP", False, "a.cutout.webp"), ("JPEG", True, "a.mask.jpg")],
)
def test_single_file_without_output_goes_beside_it(tree, fmt, mask, name):
    plan = plan_jobs([str(tree / "a.jpg")], None, fmt, mask=mask)
    assert [(j.source, j.target) for j in plan.jobs] == [(str(tree / "a.jpg"), str(tree / name))]


@pytest.mark.parametrize("inputs", [["a.jpg", "Z.JPEG"], ["."], ["*.jpg"]])
def test_several_inputs_or_a_folder_without_output_is_an_error(tree, monkeypatch, inputs):
    monkeypatch.chdir(tree)
    touch_image(tree / "a2.jpg")
    with pytest.raises(OutputError, match="-o OUT_DIR"):
        plan_jobs(inputs, None, None)


def test_output_file_for_several_inputs_is_an_error(tree, tmp_path):
    existing = tmp_path / "taken.png"
    existing.write_bytes(b"x")
    with pytest.raises(OutputError, match="not a folder"):
        plan_jobs([str(tree)], str(existing), None)


def test_stdin_to_stdout(tmp_path):
    assert [(j.source, j.target) for j in plan_jobs([STDIO], None, None).jobs] == [(STDIO, STDIO)]
    assert [(j.source, j.target) for j in plan_jobs([STDIO], STDIO, None).jobs] == [(STDIO, STDIO)]
    to_file = plan_jobs([STDIO], str(tmp_path / "out.png"), None)
    assert [(j.source, j.target) for j in to_file.jobs] == [(STDIO, str(tmp_path / "out.png"))]


def test_stdout_takes_exactly_one_input(tree):
    with pytest.raises(OutputError, match="exactly one"):
        plan_jobs([str(tree)], STDIO, None)


def test_same_stem_in_one_folder_gets_distinct_outputs(tmp_path):
    folder = tmp_path / "in"
    touch_image(folder / "a.jpg")
    touch_image(folder / "a.png")
    touch_image(folder / "b.png")
    out = tmp_path / "out"
    plan = plan_jobs([str(folder)], str(out), None)
    got = sorted(j.target for j in plan.jobs)
    assert len(set(got)) == 3
    assert got == [str(out / "a.jpg.png"), str(out / "a.png.png"), str(out / "b.png")]


def test_same_name_from_different_places_gets_distinct_outputs(tmp_path):
    touch_image(tmp_path / "x" / "a.jpg")
    touch_image(tmp_path / "y" / "a.jpg")
    touch_image(tmp_path / "y" / "a.png")
    out = tmp_path / "out"
    for inputs in (
        [str(tmp_path / "x" / "a.jpg"), str(tmp_path / "y" / "a.jpg"), str(tmp_path / "y" / "a.png")],
        [str(tmp_path / "x" / "*.jpg"), str(tmp_path / "y" / "*")],
    ):
        plan = plan_jobs(inputs, str(out), None)
        got = [j.target for j in plan.jobs]
        assert len(got) == 3 and len(set(got)) == 3, got
        assert got == [str(out / "a.jpg.png"), str(out / "a.jpg-2.png"), str(out / "a.png.png")]


# --- check_targets -----------------------------------------------------------------------------

def test_refuses_to_overwrite_an_input(tree):
    plan = plan_jobs([str(tree / "sub" / "b.png")], str(tree / "sub" / "b.png"), None)
    runnable, skipped, failures = check_targets(plan.jobs, overwrite=True, skip_existing=False)
    assert runnable == [] and skipped == 0
    assert "would overwrite an input" in failures[0].reason


def test_folder_written_onto_itself_is_refused(tree):
    plan = plan_jobs([str(tree)], str(tree), None)
    runnable, _, failures = check_targets(plan.jobs, overwrite=True, skip_existing=False)
    assert {f.name for f in failures} == {"sub/b.png"}  # the only input whose output is itself
    assert len(runnable) == len(plan.jobs) - 1


def test_existing_output_fails_unless_skipped_or_overwritten(tree, tmp_path):
    out = tmp_path / "out"
    plan = plan_jobs([str(tree)], str(out), None)
    touch_image(out / "a.png")
    runnable, skipped, failures = check_targets(plan.jobs, overwrite=False, skip_existing=False)
    assert [f.name for f in failures] == ["a.jpg"] and "--skip-existing" in failures[0].reason
    assert len(runnable) == len(plan.jobs) - 1 and skipped == 0

    runnable, skipped, failures = check_targets(plan.jobs, overwrite=False, skip_existing=True)
    assert failures == [] and skipped == 1 and len(runnable) == len(plan.jobs) - 1

    runnable, skipped, failures = check_targets(plan.jobs, overwrite=True, skip_existing=False)
    assert failures == [] and skipped == 0 and len(runnable) == len(plan.jobs)


def test_stdout_is_always_runnable():
    jobs = [Job(STDIO, STDIO, "<stdin>")]
    assert check_targets(jobs, overwrite=False, skip_existing=True) == (jobs, 0, [])


# --- run_batch ---------------------------------------------------------------------------------

@pytest.fixture()
def remover(tiny_model) -> Remover:
    return Remover(alphacut.load_model(tiny_model))


def test_one_corrupt_file_does_not_stop_the_batch(tmp_path, remover):
    folder = tmp_path / "in"
    for index in range(4):
        touch_image(folder / f"good{index}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    plan = plan_jobs([str(folder)], str(out), None)
    finished: list[tuple[str, str | None]] = []
    report = run_batch(plan.jobs, remover, "PNG", prefetch=2, on_finished=lambda job, error: finished.append((job.relative, error)))

    assert report.written == 4
    assert [f.name for f in report.failures] == ["broken.jpg"]
    assert "broken.jpg" in report.failures[0].reason
    assert sorted(name for name, _ in finished) == sorted(j.relative for j in plan.jobs)
    assert sorted(p.name for p in out.iterdir()) == [f"good{i}.png" for i in range(4)]
    for index in range(4):
        result = Image.open(out / f"good{index}.png")
        assert result.mode == "RGBA" and result.size == (16, 12)
        assert np.asarray(result.getchannel("A"))[6, 8] >= 250


def test_model_failure_on_one_image_is_reported(tmp_path, remover):
    class FlakyRemover(Remover):
        def process(self, decoded):
            if decoded.name == "bad.png":
                raise RuntimeError("boom")
            return super().process(decoded)

    folder = tmp_path / "in"
    touch_image(folder / "bad.png")
    touch_image(folder / "ok.png")
    report = run_batch(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs, FlakyRemover(remover.session), "PNG")
    assert report.written == 1
    assert [(f.name, f.reason) for f in report.failures] == [("bad.png", "processing failed (RuntimeError: boom)")]


def test_unwritable_target_is_reported(tmp_path, remover):
    touch_image(tmp_path / "in.png")
    (tmp_path / "blocker").write_text("a file where a folder should be")
    jobs = [Job(str(tmp_path / "in.png"), str(tmp_path / "blocker" / "out.png"), "in.png")]
    report = run_batch(jobs, remover, "PNG")
    assert report.written == 0 and report.failures[0].name == "in.png"


def test_jpeg_of_a_cutout_fails_per_file(tmp_path, remover):
    touch_image(tmp_path / "in.png")
    report = run_batch([Job(str(tmp_path / "in.png"), str(tmp_path / "o.jpg"), "in.png")], remover, "JPEG")
    assert report.written == 0 and "JPEG" in report.failures[0].reason
    assert not (tmp_path / "o.jpg").exists()


def test_many_files_keep_their_own_results(tmp_path, remover):
    folder = tmp_path / "in"
    for index in range(9):  # more than prefetch + io threads: exercises the queues
        touch_image(folder / f"{index}.png", size=(10 + index, 12))
    report = run_batch(plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs, remover, "PNG", prefetch=2)
    assert report.written == 9 and report.failures == []
    for index in range(9):
        assert Image.open(tmp_path / "out" / f"{index}.png").size == (10 + index, 12)


def test_stdin_to_stdout(tmp_path, remover, monkeypatch, square_image):
    data = io.BytesIO()
    square_image.save(data, "PNG")
    stdin = io.TextIOWrapper(io.BytesIO(data.getvalue()))
    stdout_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(stdout_bytes)
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    report = run_batch(plan_jobs([STDIO], None, None).jobs, remover, "PNG")
    assert report.written == 1
    result = Image.open(io.BytesIO(stdout_bytes.getvalue()))
    assert result.mode == "RGBA" and result.size == square_image.size


def test_animation_is_written_as_an_animation(tmp_path, remover):
    frames = [Image.new("RGB", (16, 12), (i * 100, 255, 255)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=0)
    target = tmp_path / "anim.png"
    report = run_batch([Job(str(tmp_path / "anim.gif"), str(target), "anim.gif")], remover, "PNG")
    assert report.written == 1
    output = Image.open(target)
    assert output.n_frames == 3


def test_masks_and_backgrounds_in_batch(tmp_path, remover):
    touch_image(tmp_path / "in.png")
    masks = Remover(remover.session, RemoveOptions(mask=True))
    run_batch([Job(str(tmp_path / "in.png"), str(tmp_path / "m.jpg"), "in.png")], masks, "JPEG")
    assert Image.open(tmp_path / "m.jpg").mode == "L"
    white = Remover(remover.session, RemoveOptions(bg_color=(255, 255, 255, 255)))
    run_batch([Job(str(tmp_path / "in.png"), str(tmp_path / "w.jpg"), "in.png")], white, "JPEG")
    assert Image.open(tmp_path / "w.jpg").mode == "RGB"


def test_output_folder_inside_the_input_folder_is_not_read_back(tree):
    out = tree / "cutouts"
    touch_image(out / "a.png")  # results of an earlier run
    touch_image(out / "sub" / "b.png")
    plan = plan_jobs([str(tree)], str(out), None)
    assert not any(Path(job.source).is_relative_to(out) for job in plan.jobs)
    assert sorted(job.relative for job in plan.jobs) == ["Z.JPEG", "a.jpg", "sub/b.png", "sub/deep/c.webp"]
    _, skipped, failures = check_targets(plan.jobs, overwrite=False, skip_existing=True)
    assert skipped == 2 and failures == []


def test_large_images_are_not_decoded_ahead_past_the_pixel_budget(tmp_path, remover, monkeypatch):
    import alphacut.batch as batch

    folder = tmp_path / "in"
    for index in range(5):
        touch_image(folder / f"{index}.png", size=(40, 30))  # 1,200 pixels each
    decoded_now: list[int] = []
    live = [0]
    real_decode = batch.decode_image

    def counting_decode(*args, **kwargs):
        live[0] += 1
        decoded_now.append(live[0])
        return real_decode(*args, **kwargs)

    class Releasing(Remover):
        def process(self, decoded, **kwargs):
            frames = super().process(decoded, **kwargs)
            live[0] -= 1  # counts images read but not yet processed or finished
            return frames

    monkeypatch.setattr(batch, "decode_image", counting_decode)
    jobs = plan_jobs([str(folder)], str(tmp_path / "out"), None).jobs
    report = run_batch(jobs, Releasing(remover.session), "PNG", prefetch=3, pixels_in_flight=2_000)
    assert report.written == 5 and report.failures == []
    assert max(decoded_now) == 1  # 2 x 1,200 > 2,000: one image at a time



def test_header_pixels_reads_sizes_without_decoding(tmp_path):
    from alphacut.batch import header_pixels

    touch_image(tmp_path / "a.png", size=(40, 30))
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    assert header_pixels(Job(str(tmp_path / "a.png"), "x", "a.png")) == 1200
    assert header_pixels(Job(str(tmp_path / "bad.jpg"), "x", "bad.jpg")) == 0  # the decoder reports it
    assert header_pixels(Job(STDIO, STDIO, "-")) == 0
