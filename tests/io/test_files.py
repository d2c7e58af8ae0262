"""io.files: one listing rule, the alpha of any mask or cutout file, and atomic writes."""
from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alphacut.errors import ImageTooLargeError, InputError, OutputError
from alphacut.io import files as files_module
from alphacut.io.files import (
    IMAGE_EXTENSIONS, is_image_path, list_images, read_alpha, remove_stale_temporaries, write_atomic,
)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 3)).save(path, format="PNG")  # the listing goes by name, not by content
    return path


# --- list_images -------------------------------------------------------------------------------

@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "photos"
    for name in ["a.jpg", "sub/b.png", "sub/deep/c.webp", "Z.JPEG", "upper/D.PnG",
                 ".hidden/d.png", "sub/.e.jpg", "sub/.cache/deep/f.png", "._a.jpg"]:
        touch(root / name)
    (root / "notes.txt").write_text("not an image")
    (root / "sub" / "fake.png.bak").write_text("nope")
    (root / "folder.png").mkdir()  # a folder with an image-like name is not a file
    return root


def names(found: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in found]


def test_listing_is_recursive_sorted_and_only_images(tree):
    assert names(list_images(tree), tree) == ["Z.JPEG", "a.jpg", "sub/b.png", "sub/deep/c.webp", "upper/D.PnG"]


def test_hidden_files_and_everything_in_hidden_folders_are_skipped(tree):
    listed = names(list_images(tree), tree)
    assert not any(part.startswith(".") for name in listed for part in name.split("/"))
    assert "d.png" not in {Path(n).name for n in listed} and "f.png" not in {Path(n).name for n in listed}


def test_a_hidden_folder_given_itself_is_listed(tree):
    """Only names below the folder count: a user may keep photos in a hidden folder."""
    assert names(list_images(tree / ".hidden"), tree / ".hidden") == ["d.png"]


def test_extensions_are_case_insensitive():
    assert is_image_path("A.JPG") and is_image_path("b.Png") and is_image_path("s3://bucket/x/c.WEBP")
    assert not is_image_path("notes.txt") and not is_image_path("fake.png.bak") and not is_image_path("png")
    assert {".jpg", ".png", ".webp", ".tiff", ".gif"} <= IMAGE_EXTENSIONS


def test_exclude_skips_the_files_of_a_folder_inside(tree):
    out = tree / "cutouts"
    touch(out / "a.png")
    touch(out / "sub" / "b.png")
    listed = names(list_images(tree, exclude=out), tree)
    assert listed == ["Z.JPEG", "a.jpg", "sub/b.png", "sub/deep/c.webp", "upper/D.PnG"]
    assert "cutouts/a.png" in names(list_images(tree), tree)  # only when asked


def test_symlinked_files_are_listed_and_linked_folders_not_followed(tmp_path):
    root = tmp_path / "in"
    elsewhere = touch(tmp_path / "elsewhere" / "x.png")
    root.mkdir()
    (root / "link.png").symlink_to(elsewhere)
    (root / "linked").symlink_to(elsewhere.parent, target_is_directory=True)
    assert names(list_images(root), root) == ["link.png"]


# --- read_alpha --------------------------------------------------------------------------------

ALPHA = np.array([[0, 60, 128], [200, 255, 7]], np.uint8)
COLOURS = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]], np.uint8)


def test_alpha_of_rgba(tmp_path):
    Image.fromarray(np.dstack([COLOURS, ALPHA])).save(tmp_path / "a.png")
    got = read_alpha(tmp_path / "a.png")
    assert got.dtype == np.uint8 and np.array_equal(got, ALPHA)


def test_alpha_of_la(tmp_path):
    Image.fromarray(np.dstack([np.full_like(ALPHA, 99), ALPHA]), "LA").save(tmp_path / "a.png")
    assert Image.open(tmp_path / "a.png").mode == "LA"
    assert np.array_equal(read_alpha(tmp_path / "a.png"), ALPHA)


def test_grey_file_is_its_grey(tmp_path):
    Image.fromarray(ALPHA, "L").save(tmp_path / "m.png")
    assert np.array_equal(read_alpha(tmp_path / "m.png"), ALPHA)


def test_sixteen_bit_grey_is_scaled_to_eight_bits(tmp_path):
    Image.fromarray(np.array([[0, 257, 32896, 65535]], np.uint16)).save(tmp_path / "m.png")  # I;16
    assert read_alpha(tmp_path / "m.png").tolist() == [[0, 1, 128, 255]]


def test_rgb_file_is_its_luminance(tmp_path):
    Image.fromarray(COLOURS).save(tmp_path / "m.png")
    expected = np.asarray(Image.fromarray(COLOURS).convert("L"))
    assert np.array_equal(read_alpha(tmp_path / "m.png"), expected)
    white = np.full((2, 3, 3), 255, np.uint8)
    Image.fromarray(white).save(tmp_path / "white.png")
    assert (read_alpha(tmp_path / "white.png") == 255).all()


def test_palette_with_a_transparent_index_gives_that_alpha(tmp_path):
    palette = Image.new("P", (3, 1))
    palette.putpalette([128, 128, 128] * 256)  # every index the same grey: only the alpha tells them apart
    palette.putdata([0, 1, 0])
    palette.save(tmp_path / "p.png", transparency=1)
    assert Image.open(tmp_path / "p.png").mode == "P"
    assert read_alpha(tmp_path / "p.png").tolist() == [[255, 0, 255]]
    palette.save(tmp_path / "opaque.png")  # no transparent index: the grey
    assert read_alpha(tmp_path / "opaque.png").tolist() == [[128, 128, 128]]


def test_opaque_rgba_may_be_read_by_its_grey(tmp_path):
    drawn = np.dstack([np.repeat(ALPHA[..., None], 3, axis=2), np.full_like(ALPHA, 255)])
    Image.fromarray(drawn).save(tmp_path / "drawn.png")
    assert (read_alpha(tmp_path / "drawn.png") == 255).all()
    assert np.array_equal(read_alpha(tmp_path / "drawn.png", grey_if_opaque=True), ALPHA)


def test_exif_orientation_is_applied_as_for_the_image(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the upright mask is 2 wide, 3 high
    Image.fromarray(ALPHA, "L").save(tmp_path / "m.jpg", exif=exif, quality=100)
    assert read_alpha(tmp_path / "m.jpg").shape == (3, 2)


def test_read_alpha_refuses_images_over_the_pixel_limit(tmp_path):
    Image.fromarray(np.dstack([COLOURS, ALPHA])).save(tmp_path / "a.png")
    with pytest.raises(ImageTooLargeError, match="exceeds the limit of 5"):
        read_alpha(tmp_path / "a.png", max_pixels=5)
    assert read_alpha(tmp_path / "a.png", max_pixels=6).shape == (2, 3)


def test_read_alpha_names_the_file_that_is_not_an_image(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="mask.png: not an image"):
        read_alpha(tmp_path / "bad.png", name="mask.png")
    with pytest.raises(InputError, match="no such file"):
        read_alpha(tmp_path / "missing.png")


# --- write_atomic ------------------------------------------------------------------------------

def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_write_atomic_writes_creates_parents_and_normal_permissions(tmp_path):
    target = tmp_path / "deep" / "er" / "out.png"
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    assert leftovers(target.parent) == []
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_atomic_never_touches_the_process_umask(tmp_path, monkeypatch):
    # the batch writes from several threads; a umask briefly 0 would leak into their mkdirs
    def forbidden(mask):
        raise AssertionError(f"os.umask({mask:o}) called while writing")

    umask = os.umask(0o022)
    os.umask(umask)
    monkeypatch.setattr(files_module.os, "umask", forbidden)
    write_atomic(tmp_path / "a" / "out.png", b"data")
    assert (tmp_path / "a" / "out.png").stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_atomic_replaces_an_existing_file(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    write_atomic(str(target), b"new contents")
    assert target.read_bytes() == b"new contents"


def test_write_atomic_failure_on_rename_leaves_no_part_and_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_module.os, "replace", fail)
    with pytest.raises(OutputError, match=r"^cannot write .*out\.png: No space left on device$"):
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_atomic_failure_while_writing_leaves_nothing(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_interrupted_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out.png"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files_module.os, "fchmod", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_write_that_runs_out_of_space_halfway_leaves_the_old_file_and_no_part(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    real_write = os.write
    written = []

    def disk_fills_after_100_bytes(handle: int, data) -> int:
        if sum(written) >= 100:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        count = real_write(handle, bytes(data[:60]))  # short writes, as a filling disk gives
        written.append(count)
        return count

    monkeypatch.setattr(files_module.os, "write", disk_fills_after_100_bytes)
    with pytest.raises(OutputError, match=r"cannot write .*out\.png: No space left on device"):
        write_atomic(target, b"x" * 1000)
    assert sum(written) == 120  # it did write part of the data before the disk filled
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_stale_temporaries_beside_the_targets_are_removed_and_live_ones_kept(tmp_path):
    (tmp_path / "sub").mkdir()
    stale = [tmp_path / ".a.png.k3j_x9q2.part", tmp_path / "sub" / ".b.png.00000000.part"]
    live = tmp_path / ".c.png.abcdefgh.part"
    unrelated = [tmp_path / ".other.png.abcdefgh.part", tmp_path / ".a.png.part", tmp_path / "a.png.abcdefgh.part",
                 tmp_path / ".a.png.toolong99.part"]
    for path in [*stale, live, *unrelated]:
        path.write_bytes(b"half an image")
    holder = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # as write_atomic holds the file it is writing
        targets = [tmp_path / "a.png", tmp_path / "sub" / "b.png", tmp_path / "c.png", tmp_path / "gone" / "d.png"]
        removed = remove_stale_temporaries(targets)
    finally:
        os.close(holder)
    assert sorted(removed) == sorted(stale)
    assert not any(path.exists() for path in stale)
    assert live.exists() and all(path.exists() for path in unrelated)


def test_the_temporary_file_is_locked_while_it_is_written(tmp_path, monkeypatch):
    """What lets remove_stale_temporaries tell a live write from a killed one."""
    seen = []
    real_write = os.write

    def check_the_lock(handle: int, data) -> int:
        (temporary,) = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        seen.append(remove_stale_temporaries([tmp_path / "out.png"]))
        probe = os.open(temporary, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        return real_write(handle, data)

    monkeypatch.setattr(files_module.os, "write", check_the_lock)
    write_atomic(tmp_path / "out.png", b"data")
    assert seen == [[]]
    assert (tmp_path / "out.png").read_bytes() == b"data"


def test_on_a_filesystem_without_locks_writes_work_and_no_temporary_is_removed(tmp_path, monkeypatch):
    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(files_module.fcntl, "flock", no_locks)
    write_atomic(tmp_path / "out.png", b"data")
    assert (tmp_path / "out.png").read_bytes() == b"data" and leftovers(tmp_path) == []
    maybe_live = tmp_path / ".out.png.abcdefgh.part"
    maybe_live.write_bytes(b"half")
    assert remove_stale_temporaries([tmp_path / "out.png"]) == [] and maybe_live.exists()
