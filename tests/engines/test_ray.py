"""The Ray engine: same files as the local engine, byte for byte; one bad file never stops a job.

A local Ray (2 CPUs) is started once for the module; the model is the tiny ONNX graph from
conftest, so no weights are needed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("ray")
pytest.importorskip("pyarrow")

from alphacut.engines import EngineConfig, check_targets, plan_jobs, run, run_ray  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [
                 str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH")]))}})
    yield ray
    ray.shutdown()


def white_square(size=(64, 48), box=(16, 12, 48, 36)) -> Image.Image:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), box)
    return image


def make_photos(root: Path) -> Path:
    """A handful of varied inputs: sizes, formats, a sub-folder, an animated GIF."""
    root.mkdir(parents=True)
    white_square().save(root / "a.png")
    white_square((80, 60), (10, 10, 50, 40)).save(root / "b.jpg", quality=90)
    (root / "sub").mkdir()
    white_square((40, 40), (5, 5, 30, 35)).convert("RGBA").save(root / "sub" / "c.webp", lossless=True)
    frames = [white_square((48, 32), (4 + i * 4, 4, 24 + i * 4, 28)) for i in range(3)]
    frames[0].save(root / "sub" / "anim.gif", save_all=True, append_images=frames[1:], duration=[80, 90, 100], loop=0)
    return root


def config_for(model: Path, fmt: str = "PNG", **overrides) -> EngineConfig:
    values = dict(model=str(model), device="cpu", runtime="onnxruntime", threads=1, fmt=fmt)
    values.update(overrides)
    return EngineConfig(**values)


def run_local(photos: Path, out: Path, model: Path, fmt: str = "PNG"):
    jobs, _, _ = check_targets(plan_jobs([str(photos)], str(out), fmt).jobs, overwrite=False, skip_existing=False)
    return run(jobs, config_for(model, fmt), engine="local")


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_ray_outputs_equal_the_local_engine_byte_for_byte(local_ray, tiny_model, tmp_path, fmt):
    photos = make_photos(tmp_path / "photos")
    local = run_local(photos, tmp_path / "local", tiny_model, fmt)
    plan = plan_jobs([str(photos)], str(tmp_path / "ray"), fmt)
    jobs, skipped, refused = check_targets(plan.jobs, overwrite=False, skip_existing=False)
    finished = []
    report = run(jobs, config_for(tiny_model, fmt, workers=2), engine="ray",
                 on_finished=lambda job, error: finished.append((job.relative, error)))
    assert local.written == report.written == 4 and not report.failures and not refused
    assert sorted(finished) == sorted((job.relative, None) for job in jobs)
    assert 1 <= len(report.worker_peak_rss_mib) <= 2 and all(mib > 10 for mib in report.worker_peak_rss_mib.values())
    local_files, ray_files = files_under(tmp_path / "local"), files_under(tmp_path / "ray")
    assert sorted(ray_files) == sorted(local_files)
    assert all(ray_files[name] == local_files[name] for name in local_files)
    assert Image.open(tmp_path / "ray" / "sub" / f"anim{Path(jobs[0].target).suffix}").n_frames == 3


def test_one_bad_file_does_not_stop_the_job(local_ray, tiny_model, tmp_path):
    photos = make_photos(tmp_path / "photos")
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (photos / "sub" / "empty.jpg").write_bytes(b"")
    plan = plan_jobs([str(photos)], str(tmp_path / "out"), None)
    report = run_ray(plan.jobs, config_for(tiny_model, workers=1))
    assert report.written == 4
    assert sorted(f.name for f in report.failures) == ["broken.png", "sub/empty.jpg"]
    assert all(f.reason and "\n" not in f.reason for f in report.failures)
    assert not (tmp_path / "out" / "broken.png").exists()
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.name.startswith(".")) == []  # no .part left


def test_object_store_uris_are_read_and_written(local_ray, tiny_model, tmp_path):
    """``file://`` goes through the same pyarrow file-system code as ``s3://`` or ``gs://``."""
    photos = make_photos(tmp_path / "photos")
    local = run_local(photos, tmp_path / "local", tiny_model)
    plan = plan_jobs([f"file://{photos}"], f"file://{tmp_path / 'bucket' / 'out'}", None)
    assert [job.relative for job in plan.jobs] == ["a.png", "b.jpg", "sub/anim.gif", "sub/c.webp"]
    report = run_ray(plan.jobs, config_for(tiny_model, workers=2))
    assert report.written == local.written == 4
    assert files_under(tmp_path / "bucket" / "out") == files_under(tmp_path / "local")
    again = run_ray(plan.jobs, config_for(tiny_model, workers=1))
    assert again.written == 0 and len(again.failures) == 4
    assert all("exists (use --skip-existing or --overwrite)" in f.reason for f in again.failures)
    skipping = run_ray(plan.jobs, config_for(tiny_model, skip_existing=True, workers=1))
    assert (skipping.written, skipping.skipped, skipping.failures) == (0, 4, [])


def test_cli_ray_engine_writes_what_the_local_engine_writes(local_ray, tiny_model, tmp_path):
    """Through the command line, in-process so the module's local Ray is reused."""
    from typer.testing import CliRunner

    from alphacut.cli.app import app

    photos = make_photos(tmp_path / "photos")
    runner = CliRunner()
    common = ["-m", str(tiny_model), "--runtime", "onnxruntime", "--threads", "1", "-q", "--png-level", "9"]  # not the default: both engines must pass it on
    local = runner.invoke(app, ["remove", str(photos), "-o", str(tmp_path / "local"), *common])
    remote = runner.invoke(app, ["remove", str(photos), "-o", str(tmp_path / "ray"), "--engine", "ray",
                                 "--workers", "2", *common])
    assert local.exit_code == 0 and remote.exit_code == 0, remote.output
    assert files_under(tmp_path / "ray") == files_under(tmp_path / "local")


def test_stdin_is_refused_by_the_ray_engine(tmp_path, tiny_model):
    """Refused before Ray starts: no local Ray is needed for this one."""
    from alphacut.errors import InputError

    for jobs in (plan_jobs(["-"], str(tmp_path / "out"), None).jobs, plan_jobs(["-"], None, None).jobs):
        with pytest.raises(InputError, match="needs the local engine"):
            run(jobs, config_for(tiny_model), engine="ray")
