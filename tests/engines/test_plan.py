"""Planning a batch: which files are read, where results go (paths and object-store URIs alike),
and which targets may be written."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from alphacut.engines.plan import STDIO, Found, Job, check_targets, discover, name_targets, plan_jobs
from alphacut.errors import OutputError


def touch_image(path: Path, size=(16, 12), colour=(255, 255, 255)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste(colour, (4, 3, 12, 9))
    image.save(path)
    return path


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



def test_output_folder_inside_the_input_folder_is_not_read_back(tree):
    out = tree / "cutouts"
    touch_image(out / "a.png")  # results of an earlier run
    touch_image(out / "sub" / "b.png")
    plan = plan_jobs([str(tree)], str(out), None)
    assert not any(Path(job.source).is_relative_to(out) for job in plan.jobs)
    assert sorted(job.relative for job in plan.jobs) == ["Z.JPEG", "a.jpg", "sub/b.png", "sub/deep/c.webp"]
    _, skipped, failures = check_targets(plan.jobs, overwrite=False, skip_existing=True)
    assert skipped == 2 and failures == []




# --- discovery apart from naming ---------------------------------------------------------------

def test_discover_finds_without_naming_outputs(tree, tmp_path):
    found, failures = discover([str(tree), str(tmp_path / "missing.png"), STDIO])
    assert found[0] == Found(str(tree / "Z.JPEG"), "photos/Z.JPEG")  # several inputs: folders keep their names
    assert found[-1] == Found(STDIO, "<stdin>")
    assert [(f.name, f.reason) for f in failures] == [(str(tmp_path / "missing.png"), "no such file or folder")]


def test_name_targets_works_on_what_was_found(tmp_path):
    out = tmp_path / "out"
    jobs = name_targets([Found("/x/a.jpg", "a.jpg"), Found("/y/a.png", "a.png")], ["/x", "/y"], str(out), "WEBP")
    assert [job.target for job in jobs] == [str(out / "a.jpg.webp"), str(out / "a.png.webp")]


def test_many_files_sharing_names_are_numbered_quickly(tmp_path):
    """Numbering is linear: 20,000 files named alike took minutes when each counted up from -2."""
    found = [Found(f"/in/{index}/a.jpg", "a.jpg") for index in range(20_000)]
    jobs = name_targets(found, [f"/in/{index}/a.jpg" for index in range(20_000)], str(tmp_path), None)
    assert len({job.target for job in jobs}) == 20_000
    assert jobs[1].target == str(tmp_path / "a.jpg-2.png")


# --- object-store URIs: the same naming rules --------------------------------------------------

@pytest.fixture()
def bucket(tree):
    pytest.importorskip("pyarrow")
    return f"file://{tree}"


def test_uri_prefix_is_listed_like_a_folder(bucket, tmp_path):
    out = f"file://{tmp_path / 'out'}"
    plan = plan_jobs([bucket], out, None)
    assert [(j.source, j.target, j.relative) for j in plan.jobs] == [
        (f"{bucket}/Z.JPEG", f"{out}/Z.png", "Z.JPEG"),
        (f"{bucket}/a.jpg", f"{out}/a.png", "a.jpg"),
        (f"{bucket}/sub/b.png", f"{out}/sub/b.png", "sub/b.png"),
        (f"{bucket}/sub/deep/c.webp", f"{out}/sub/deep/c.png", "sub/deep/c.webp"),
    ]
    assert plan.failures == []


def test_local_folder_to_a_uri_names_as_to_a_folder(tree, bucket, tmp_path):
    out = f"file://{tmp_path / 'out'}"
    local = plan_jobs([str(tree)], str(tmp_path / "out"), None)
    remote = plan_jobs([str(tree)], out, None)
    assert [j.target for j in remote.jobs] == [f"{out}/{Path(j.target).relative_to(tmp_path / 'out').as_posix()}"
                                               for j in local.jobs]


def test_one_object_is_taken_as_it_is(bucket, tmp_path):
    out = f"file://{tmp_path / 'out'}"
    several = plan_jobs([f"{bucket}/a.jpg", f"{bucket}/sub"], out, None)
    assert [(j.target, j.relative) for j in several.jobs] == [
        (f"{out}/a.png", "a.jpg"), (f"{out}/sub/b.png", "sub/b.png"), (f"{out}/sub/deep/c.png", "sub/deep/c.webp"),
    ]
    to_file = plan_jobs([f"{bucket}/a.jpg"], f"{out}/cut.webp", None)
    assert [j.target for j in to_file.jobs] == [f"{out}/cut.webp"]


def test_uri_input_needs_an_output(bucket):
    with pytest.raises(OutputError, match="object-store inputs need an output"):
        plan_jobs([f"{bucket}/a.jpg"], None, None)


def test_uri_without_images_is_a_failure(bucket, tmp_path):
    plan = plan_jobs([f"file://{tmp_path / 'nothing'}"], str(tmp_path / "out"), None)
    assert plan.jobs == [] and [f.reason for f in plan.failures] == ["no images at this location"]


def test_uri_targets_are_checked_by_the_workers_but_never_onto_an_input(bucket):
    jobs = [Job(f"{bucket}/a.jpg", f"{bucket}/a.jpg", "a.jpg"), Job(f"{bucket}/sub/b.png", f"{bucket}/sub/b.png.png", "b")]
    runnable, skipped, failures = check_targets(jobs, overwrite=False, skip_existing=False)
    assert runnable == jobs[1:] and skipped == 0
    assert "would overwrite an input" in failures[0].reason
