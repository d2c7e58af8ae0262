"""``alphacut remove`` end to end in a subprocess, with the tiny model (exit codes included)."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image


def square(path: Path, size=(64, 48), box=(16, 12, 48, 36)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size)
    image.paste((255, 255, 255), box)
    image.save(path)
    return path


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.decode().splitlines() if line.strip()]


@pytest.fixture()
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    square(folder / "one.png")
    square(folder / "nested" / "two.jpg", box=(4, 4, 40, 30))
    return folder


def test_folder_with_a_corrupt_file(alphacut_cli, photos, tmp_path, tiny_model):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this JPEG stops here")
    before = digests(photos)
    out = tmp_path / "out"

    result = alphacut_cli("remove", str(photos), "-o", str(out), "--model", str(tiny_model))

    assert result.returncode == 1
    assert digests(photos) == before  # inputs are never modified
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["nested/two.png", "one.png"]
    for name in ("one.png", "nested/two.png"):
        image = Image.open(out / name)
        assert image.mode == "RGBA"
    assert np.asarray(Image.open(out / "one.png").getchannel("A"))[24, 32] >= 250
    failures = [line for line in stderr_lines(result) if line.startswith("failed")]
    assert len(failures) == 1 and "broken.jpg" in failures[0]
    assert "2 written, 0 skipped, 1 failed" in result.stderr.decode()
    assert result.stdout == b""


def test_quiet_still_names_what_failed(alphacut_cli, photos, tmp_path, tiny_model):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this JPEG stops here")
    result = alphacut_cli("remove", str(photos), "-o", str(tmp_path / "out"), "--model", str(tiny_model), "-q")
    assert result.returncode == 1
    lines = stderr_lines(result)
    assert len(lines) == 1 and lines[0].startswith("failed") and "broken.jpg" in lines[0]  # no summary, no bar


def test_rerun_with_skip_existing_writes_nothing(alphacut_cli, photos, tmp_path, tiny_model):
    out = tmp_path / "out"
    first = alphacut_cli("remove", str(photos), "-o", str(out), "--model", str(tiny_model), "-q")
    assert first.returncode == 0, first.stderr
    assert first.stderr == b""  # -q: nothing on stderr when all goes well
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert len(written) == 2

    again = alphacut_cli("remove", str(photos), "-o", str(out), "--model", str(tiny_model), "--skip-existing")
    assert again.returncode == 0, again.stderr
    assert "0 written, 2 skipped, 0 failed" in again.stderr.decode()
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == written

    refused = alphacut_cli("remove", str(photos), "-o", str(out), "--model", str(tiny_model))
    assert refused.returncode == 1
    assert "--skip-existing or --overwrite" in refused.stderr.decode()
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == written


def test_model_not_installed_is_one_line(alphacut_cli, photos, tmp_path):
    result = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "o.png"))
    assert result.returncode == 4
    lines = stderr_lines(result)
    assert len(lines) == 1
    assert "alphacut models install" in lines[0] and lines[0].startswith("alphacut: error:")
    assert not (tmp_path / "o.png").exists()


def test_unknown_model_is_one_line(alphacut_cli, photos, tmp_path):
    result = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "o.png"), "--model", "no-such-model")
    assert result.returncode == 4
    lines = stderr_lines(result)
    assert len(lines) == 1 and "unknown model 'no-such-model'" in lines[0]


def test_stdin_to_stdout(alphacut_cli, tiny_model):
    buffer = io.BytesIO()
    image = Image.new("RGB", (64, 48))
    image.paste((255, 255, 255), (16, 12, 48, 36))
    image.save(buffer, "JPEG", quality=95)

    result = alphacut_cli("remove", "-", "-o", "-", "--model", str(tiny_model), input=buffer.getvalue())

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    output = Image.open(io.BytesIO(result.stdout))
    assert output.mode == "RGBA" and output.size == (64, 48)
    assert np.asarray(output.getchannel("A"))[24, 32] >= 250


def test_white_background_as_jpeg(alphacut_cli, photos, tmp_path, tiny_model):
    target = tmp_path / "white.jpg"
    result = alphacut_cli("remove", str(photos / "one.png"), "-o", str(target), "--bg", "white", "-f", "jpg",
                          "--model", str(tiny_model))
    assert result.returncode == 0, result.stderr
    output = Image.open(target)
    assert output.format == "JPEG" and output.mode == "RGB" and output.size == (64, 48)
    assert np.asarray(output)[2, 2].min() >= 245  # the black backdrop is now white


def test_jpeg_without_a_background_is_refused(alphacut_cli, photos, tmp_path, tiny_model):
    result = alphacut_cli("remove", str(photos), "-o", str(tmp_path / "out"), "-f", "jpg", "--model", str(tiny_model))
    assert result.returncode == 3
    lines = stderr_lines(result)
    assert len(lines) == 1 and "JPEG has no transparency" in lines[0] and "--bg" in lines[0]
    assert not (tmp_path / "out").exists()


def test_mask_output_is_grey_and_goes_beside_the_input(alphacut_cli, photos, tiny_model):
    before = digests(photos)
    result = alphacut_cli("remove", str(photos / "one.png"), "--mask", "--model", str(tiny_model))
    assert result.returncode == 0, result.stderr
    mask = Image.open(photos / "one.mask.png")
    assert mask.mode == "L" and mask.size == (64, 48)
    assert np.asarray(mask)[24, 32] >= 250 and np.asarray(mask)[2, 2] <= 10
    assert {k: v for k, v in digests(photos).items() if k != "one.mask.png"} == before


def test_missing_input_is_reported(alphacut_cli, tmp_path, tiny_model):
    result = alphacut_cli("remove", str(tmp_path / "ghost.png"), "--model", str(tiny_model))
    assert result.returncode == 1
    assert "ghost.png: no such file or folder" in result.stderr.decode()
    assert "-o OUT_DIR" not in result.stderr.decode()


def test_usage_errors(alphacut_cli, photos, tmp_path, tiny_model):
    both = alphacut_cli("remove", str(photos), "-o", str(tmp_path / "o"), "--overwrite", "--skip-existing")
    assert both.returncode == 3 and "exclude each other" in both.stderr.decode()
    colour = alphacut_cli("remove", str(photos), "-o", str(tmp_path / "o"), "--bg", "blurple")
    assert colour.returncode == 2 and "bad colour" in colour.stderr.decode()
    no_output = alphacut_cli("remove", str(photos), "--model", str(tiny_model))
    assert no_output.returncode == 3 and "-o OUT_DIR" in no_output.stderr.decode()


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(alphacut_cli, photos, tmp_path, tiny_model):
    result = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "o.png"), "--device", "cuda",
                          "--model", str(tiny_model))
    assert result.returncode == 5
    lines = stderr_lines(result)
    assert len(lines) == 1 and "--device cuda" in lines[0] and "onnxruntime-gpu" in lines[0]


def test_version(alphacut_cli):
    import alphacut

    result = alphacut_cli("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"alphacut {alphacut.__version__}"


def test_png_level_gives_the_same_pixels_in_a_different_size(alphacut_cli, photos, tmp_path, tiny_model):
    stored = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "stored.png"), "--model", str(tiny_model),
                          "--png-level", "0", "-q")
    packed = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "packed.png"), "--model", str(tiny_model),
                          "--png-level", "9", "-q")
    assert stored.returncode == 0 and packed.returncode == 0
    assert (tmp_path / "packed.png").stat().st_size < (tmp_path / "stored.png").stat().st_size
    assert np.array_equal(np.asarray(Image.open(tmp_path / "packed.png")), np.asarray(Image.open(tmp_path / "stored.png")))
    refused = alphacut_cli("remove", str(photos / "one.png"), "-o", str(tmp_path / "x.png"), "--model", str(tiny_model),
                           "--png-level", "12")
    assert refused.returncode != 0 and not (tmp_path / "x.png").exists()


def animated_gif(path: Path, frames: int) -> Path:
    images = []
    for index in range(frames):
        image = Image.new("RGB", (40, 30))
        image.paste((255, 255, 255), (4 + index * 3, 6, 20 + index * 3, 24))
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], duration=60, loop=0)
    return path


def test_frame_limit_refuses_an_animation_in_one_line(alphacut_cli, tmp_path, tiny_model):
    source = animated_gif(tmp_path / "clip.gif", 4)
    refused = alphacut_cli("remove", str(source), "-o", str(tmp_path / "out.png"), "--model", str(tiny_model),
                           "--max-frames", "3")
    assert refused.returncode == 1 and not (tmp_path / "out.png").exists()
    failures = [line for line in stderr_lines(refused) if line.startswith("failed")]
    assert len(failures) == 1
    assert "clip.gif: more than 3 frames of 40x30 exceed the limit of 3 frames" in failures[0]
    allowed = alphacut_cli("remove", str(source), "-o", str(tmp_path / "out.png"), "--model", str(tiny_model),
                           "--max-frames", "4", "-q")
    assert allowed.returncode == 0 and Image.open(tmp_path / "out.png").n_frames == 4


@pytest.mark.parametrize("variable", ["ALPHACUT_MAX_PIXELS", "ALPHACUT_MAX_FRAMES"])
def test_a_bad_limit_in_the_environment_is_one_line_before_any_work(alphacut_cli, photos, tmp_path, tiny_model,
                                                                   monkeypatch, variable):
    monkeypatch.setenv(variable, "lots")
    result = alphacut_cli("remove", str(photos), "-o", str(tmp_path / "out"), "--model", str(tiny_model))
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert stderr_lines(result) == [f"alphacut: error: {variable}='lots' is not a whole number; "
                                    "set it to a limit >= 1 or unset it"]
