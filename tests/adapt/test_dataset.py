"""Building a training set (images/, masks/, manifest.json) from RGBA images, images + masks, or pairs."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from alphacut.adapt.dataset import (
    BuildReport,
    BuildSettings,
    build_dataset,
    load_manifest,
    mask_subjects,
    pair_subjects,
    rgba_subjects,
)
from alphacut.adapt.matching import MatchSettings
from alphacut.errors import InputError, OutputError

SAMPLE_FIELDS = {"id", "image", "mask", "group", "origin", "background", "grid", "split"}

# an 8 x 6 alpha channel with every interesting level: transparent, soft edges on both sides of 128, opaque
ALPHA = np.array([
    [0, 0, 0, 0, 0, 0, 0, 0],
    [0, 60, 127, 128, 200, 255, 0, 0],
    [0, 255, 255, 255, 255, 255, 1, 0],
    [0, 255, 255, 255, 255, 255, 254, 0],
    [0, 0, 90, 255, 255, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
], np.uint8)


def rgba_file(path: Path, alpha: np.ndarray = ALPHA, seed: int = 0) -> np.ndarray:
    """An RGBA PNG with random colours everywhere (transparent pixels included); returns its array."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, alpha.shape + (3,), dtype=np.uint8)
    array = np.dstack([rgb, alpha])
    Image.fromarray(array, "RGBA").save(path)
    return array


def read(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build_rgba(source: Path, out: Path, **settings) -> BuildReport:
    report = BuildReport()
    return build_dataset(rgba_subjects(source, report), out, BuildSettings(**settings), report, [source])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


# --- RGBA source ----------------------------------------------------------------------------------


def test_soft_alpha_becomes_the_mask_and_composites_keep_the_subject(tmp_path):
    source = tmp_path / "cutouts"
    subject = rgba_file(source / "sprite.png")
    out = tmp_path / "data"
    report = build_rgba(source, out, backgrounds=("solid",), per_subject=3)

    assert [s["id"] for s in report.samples] == ["sprite_0", "sprite_1", "sprite_2"]
    assert sorted(p.name for p in (out / "images").iterdir()) == ["sprite_0.png", "sprite_1.png", "sprite_2.png"]
    assert sorted(p.name for p in (out / "masks").iterdir()) == ["sprite_0.png", "sprite_1.png", "sprite_2.png"]
    rgb, alpha = subject[..., :3].astype(int), subject[..., 3].astype(int)
    opaque, clear = alpha == 255, alpha == 0
    backgrounds = []
    for name in ("sprite_0", "sprite_1", "sprite_2"):
        mask = read(out / "masks" / f"{name}.png")
        assert mask.dtype == np.uint8 and mask.ndim == 2
        assert np.array_equal(mask, ALPHA)  # every level kept exactly
        image = read(out / "images" / f"{name}.png").astype(int)
        assert image.shape == (6, 8, 3)
        assert np.array_equal(image[opaque], rgb[opaque])  # the subject's own colours
        background = image[0, 0]  # solid: one colour wherever the subject is transparent
        assert (image[clear] == background).all()
        # soft pixels: straight-alpha 'over' on that colour (to within rounding)
        expected = rgb * (alpha[..., None] / 255) + background * (1 - alpha[..., None] / 255)
        assert np.abs(image - expected).max() <= 0.5 + 1e-6
        backgrounds.append(tuple(background))
    assert len(set(backgrounds)) == 3  # each composite on a different background


def test_hard_masks_are_thresholded(tmp_path):
    source = tmp_path / "cutouts"
    rgba_file(source / "sprite.png")
    build_rgba(source, tmp_path / "default", backgrounds=("noise",), per_subject=1, soft=False)
    assert np.array_equal(read(tmp_path / "default" / "masks" / "sprite.png"), np.where(ALPHA >= 128, 255, 0))
    build_rgba(source, tmp_path / "high", backgrounds=("noise",), per_subject=1, soft=False, hard_threshold=201)
    # 200 falls below 201; 254 and 255 stay
    assert np.array_equal(read(tmp_path / "high" / "masks" / "sprite.png"), np.where(ALPHA >= 201, 255, 0))


def test_every_kind_of_background_is_used_in_turn(tmp_path):
    source = tmp_path / "cutouts"
    for index in range(2):
        rgba_file(source / f"s{index}.png", seed=index)
    report = build_rgba(source, tmp_path / "data", backgrounds=("solid", "pattern", "noise"), per_subject=4)
    assert [(s["id"], s["background"]) for s in report.samples] == [
        ("s0_0", "solid"), ("s0_1", "pattern"), ("s0_2", "noise"), ("s0_3", "solid"),
        ("s1_0", "pattern"), ("s1_1", "noise"), ("s1_2", "solid"), ("s1_3", "pattern"),  # one kind further
    ]


def test_scale_upscales_by_nearest_neighbour(tmp_path):
    source = tmp_path / "cutouts"
    subject = rgba_file(source / "sprite.png")
    out = tmp_path / "data"
    build_rgba(source, out, backgrounds=("solid", "pattern"), per_subject=2, scale=3)
    big_alpha = np.kron(ALPHA, np.ones((3, 3), np.uint8))
    big_rgb = np.repeat(np.repeat(subject[..., :3], 3, 0), 3, 1)
    for name in ("sprite_0", "sprite_1"):
        mask, image = read(out / "masks" / f"{name}.png"), read(out / "images" / f"{name}.png")
        assert mask.shape == (18, 24) and image.shape == (18, 24, 3)
        assert np.array_equal(mask, big_alpha)  # 3 x 3 blocks, exact
        assert np.array_equal(image[big_alpha == 255], big_rgb[big_alpha == 255])


def test_files_that_teach_nothing_are_skipped_with_a_reason(tmp_path):
    source = tmp_path / "cutouts"
    rgba_file(source / "good.png")
    rgba_file(source / "opaque.png", alpha=np.full((6, 8), 255, np.uint8))
    rgba_file(source / "empty.png", alpha=np.zeros((6, 8), np.uint8))
    Image.new("RGB", (8, 6), (1, 2, 3)).save(source / "photo.jpg")
    (source / "notes.png").write_text("not an image at all")
    (source / "readme.txt").write_text("ignored: not an image suffix")
    out = tmp_path / "data"
    report = build_rgba(source, out, backgrounds=("solid",), per_subject=1)

    assert [s["id"] for s in report.samples] == ["good"]
    reasons = {Path(entry["path"]).name: entry["reason"] for entry in report.skipped}
    assert set(reasons) == {"opaque.png", "empty.png", "photo.jpg", "notes.png"}
    assert reasons["opaque.png"] == "fully opaque: the alpha channel marks no background"
    assert reasons["empty.png"] == "fully transparent: no subject"
    assert reasons["photo.jpg"] == "no alpha channel"
    assert "not an image file" in reasons["notes.png"]
    assert manifest(out)["skipped"] == report.skipped


def test_rgba_without_backgrounds_gives_no_samples(tmp_path):
    source = tmp_path / "cutouts"
    rgba_file(source / "a.png")
    out = tmp_path / "data"
    report = build_rgba(source, out)  # backgrounds=() by default in BuildSettings
    assert report.samples == []
    assert report.skipped == [{"path": str(source / "a.png"), "reason": "RGBA cutout but no --backgrounds to composite it on"}]
    assert manifest(out)["counts"] == {} and list((out / "images").iterdir()) == []


def test_background_photos_from_a_folder(tmp_path):
    source, photos = tmp_path / "cutouts", tmp_path / "photos"
    subject = rgba_file(source / "a.png")
    photos.mkdir()
    Image.new("RGB", (30, 30), (7, 77, 177)).save(photos / "wall.png")
    out = tmp_path / "data"
    report = build_rgba(source, out, backgrounds=(str(photos),), per_subject=2)
    assert [s["background"] for s in report.samples] == ["photo", "photo"]
    image = read(out / "images" / "a_0.png")
    assert (image[ALPHA == 0] == (7, 77, 177)).all()
    assert np.array_equal(image[ALPHA == 255], subject[..., :3][ALPHA == 255])


# --- splits ---------------------------------------------------------------------------------------


def make_subjects(folder: Path, count: int) -> None:
    for index in range(count):
        rgba_file(folder / f"s{index:02d}.png", seed=index)


def split_by_group(report: BuildReport) -> dict[str, str]:
    splits: dict[str, set[str]] = {}
    for sample in report.samples:
        splits.setdefault(sample["group"], set()).add(sample["split"])
    assert all(len(s) == 1 for s in splits.values()), splits  # all composites of a subject share a split
    return {group: s.pop() for group, s in splits.items()}


def test_split_by_subject_with_the_requested_fractions(tmp_path):
    source = tmp_path / "cutouts"
    make_subjects(source, 10)
    report = build_rgba(source, tmp_path / "data", backgrounds=("solid",), per_subject=2,
                        val_fraction=0.2, test_fraction=0.1, seed=5)
    by_group = split_by_group(report)
    assert len(by_group) == 10
    assert sorted(by_group.values()).count("test") == 1 and sorted(by_group.values()).count("val") == 2
    assert report.counts() == {"train": 14, "val": 4, "test": 2}
    assert manifest(tmp_path / "data")["counts"] == {"train": 14, "val": 4, "test": 2}


def test_the_split_is_reproducible_for_a_seed(tmp_path):
    source = tmp_path / "cutouts"
    make_subjects(source, 10)
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4), ("d", 5), ("e", 6)):
        runs[name] = split_by_group(build_rgba(source, tmp_path / name, backgrounds=("solid",), per_subject=1,
                                               val_fraction=0.3, seed=seed))
    assert runs["a"] == runs["b"]
    assert read(tmp_path / "a" / "images" / "s00.png").tobytes() == read(tmp_path / "b" / "images" / "s00.png").tobytes()
    assert len({tuple(sorted(r.items())) for r in runs.values()}) >= 3  # other seeds, other splits


def test_a_small_collection_still_gets_one_validation_subject(tmp_path):
    source = tmp_path / "cutouts"
    make_subjects(source, 3)
    report = build_rgba(source, tmp_path / "data", backgrounds=("solid",), per_subject=2, val_fraction=0.1)
    assert sorted(split_by_group(report).values()) == ["train", "train", "val"]  # round(0.3) = 0, raised to 1
    no_val = build_rgba(source, tmp_path / "none", backgrounds=("solid",), per_subject=1, val_fraction=0.0)
    assert set(split_by_group(no_val).values()) == {"train"}


def test_nested_folders_make_distinct_groups(tmp_path):
    source = tmp_path / "cutouts"
    rgba_file(source / "cats" / "a.png", seed=1)
    rgba_file(source / "dogs" / "a.png", seed=2)
    report = build_rgba(source, tmp_path / "data", backgrounds=("solid",), per_subject=1)
    assert sorted((s["id"], s["group"]) for s in report.samples) == [("cats__a", "cats/a"), ("dogs__a", "dogs/a")]


# --- where the dataset may go ---------------------------------------------------------------------


def test_refuses_to_write_inside_a_source_or_into_a_non_empty_folder(tmp_path):
    source = tmp_path / "cutouts"
    rgba_file(source / "a.png")
    before = digests(source)
    for out in (source, source / "data", source / "deep" / "er"):
        with pytest.raises(OutputError, match="must be outside the source folder"):
            build_rgba(source, out, backgrounds=("solid",))
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="exists and is not empty"):
        build_rgba(source, full, backgrounds=("solid",))
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="exists and is not empty"):
        build_rgba(source, a_file, backgrounds=("solid",))
    assert digests(source) == before  # nothing written into the source
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"] and (full / "keep.txt").read_text() == "mine"
    assert a_file.read_text() == "x"


def test_an_existing_empty_folder_is_fine(tmp_path):
    source, out = tmp_path / "cutouts", tmp_path / "data"
    rgba_file(source / "a.png")
    out.mkdir()
    build_rgba(source, out, backgrounds=("solid",), per_subject=1)
    assert (out / "manifest.json").is_file() and (out / "masks" / "a.png").is_file()


def test_sources_are_only_read(tmp_path):
    source = tmp_path / "cutouts"
    make_subjects(source, 3)
    rgba_file(source / "opaque.png", alpha=np.full((6, 8), 255, np.uint8))
    before = digests(source)
    build_rgba(source, tmp_path / "data", backgrounds=("solid", "pattern", "noise"), per_subject=3, scale=2)
    assert digests(source) == before


# --- images + masks -------------------------------------------------------------------------------


def test_images_with_masks(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    (images / "sub").mkdir()
    (masks / "sub").mkdir()
    rng = np.random.default_rng(0)
    photo_a = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(photo_a).save(images / "a.png")
    Image.fromarray(ALPHA, "L").save(masks / "a.png")
    Image.fromarray(photo_a).save(images / "sub" / "b.png")
    rgba_mask = np.dstack([np.full((6, 8, 3), 255, np.uint8), ALPHA[::-1]])
    Image.fromarray(rgba_mask, "RGBA").save(masks / "sub" / "b.png")  # an RGBA mask: its alpha counts
    Image.fromarray(photo_a).save(images / "c.jpg")
    Image.fromarray(ALPHA, "L").save(masks / "c.png")  # another suffix, the same stem
    Image.fromarray(photo_a).save(images / "lonely.png")  # no mask
    Image.fromarray(photo_a).save(images / "small.png")
    Image.new("L", (5, 5), 255).save(masks / "small.png")  # wrong size
    Image.new("L", (8, 6), 255).save(masks / "orphan.png")  # no image
    before = digests(tmp_path)

    report = BuildReport()
    out = tmp_path / "data"
    build_dataset(mask_subjects(images, masks, report), out, BuildSettings(), report, [images, masks])

    assert sorted(s["id"] for s in report.samples) == ["a", "c", "sub__b"]
    assert all(s["background"] == "original" for s in report.samples)
    assert np.array_equal(read(out / "images" / "a.png"), photo_a)
    assert np.array_equal(read(out / "masks" / "a.png"), ALPHA)
    assert np.array_equal(read(out / "masks" / "sub__b.png"), ALPHA[::-1])
    assert np.array_equal(read(out / "images" / "c.png"), np.asarray(Image.open(images / "c.jpg").convert("RGB")))
    reasons = {Path(entry["path"]).name: entry["reason"] for entry in report.skipped}
    assert reasons == {
        "lonely.png": "no mask with the same name",
        "small.png": "mask small.png is 5x5, image 8x6",
        "orphan.png": "no image with the same name",
    }
    assert digests(tmp_path / "images") == {k[len("images/"):]: v for k, v in before.items() if k.startswith("images/")}
    assert digests(tmp_path / "masks") == {k[len("masks/"):]: v for k, v in before.items() if k.startswith("masks/")}


def test_images_with_masks_and_new_backgrounds_keep_the_original_first(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    photo = np.random.default_rng(1).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(photo).save(images / "a.png")
    Image.fromarray(ALPHA, "L").save(masks / "a.png")
    report = BuildReport()
    out = tmp_path / "data"
    build_dataset(mask_subjects(images, masks, report), out, BuildSettings(backgrounds=("solid",), per_subject=2),
                  report, [images, masks])
    assert [(s["id"], s["background"]) for s in report.samples] == [("a_0", "original"), ("a_1", "solid"), ("a_2", "solid")]
    assert np.array_equal(read(out / "images" / "a_0.png"), photo)
    composite = read(out / "images" / "a_1.png")
    assert np.array_equal(composite[ALPHA == 255], photo[ALPHA == 255])
    assert not np.array_equal(composite[ALPHA == 0], photo[ALPHA == 0])
    for index in range(3):
        assert np.array_equal(read(out / "masks" / f"a_{index}.png"), ALPHA)


def test_a_16_bit_mask_is_scaled_to_8_bits(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    Image.new("RGB", (4, 1), (10, 20, 30)).save(images / "a.png")
    Image.fromarray(np.array([[0, 257, 32896, 65535]], np.uint16)).save(masks / "a.png")  # mode I;16
    report = BuildReport()
    build_dataset(mask_subjects(images, masks, report), tmp_path / "data", BuildSettings(), report, [images, masks])
    assert read(tmp_path / "data" / "masks" / "a.png").tolist() == [[0, 1, 128, 255]]  # reads [[0, 255, 255, 255]]


# --- pairs ----------------------------------------------------------------------------------------


def shape_cutout(kind: str, colour: tuple[int, int, int], size: int = 32) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    fill = colour + (255,)
    {"square": lambda: draw.rectangle((6, 6, 26, 26), fill=fill),
     "disc": lambda: draw.ellipse((6, 6, 26, 26), fill=fill),
     "triangle": lambda: draw.polygon([(16, 4), (28, 27), (4, 27)], fill=fill),
     "bar": lambda: draw.rectangle((12, 2, 20, 30), fill=fill)}[kind]()
    return image


def test_pairs_use_the_cutouts_alpha(tmp_path):
    with_bg, cutouts = tmp_path / "photos", tmp_path / "cutouts"
    with_bg.mkdir()
    cutouts.mkdir()
    subjects = {"square": (220, 30, 30), "disc": (30, 200, 60), "triangle": (40, 40, 220), "bar": (240, 220, 20)}
    backdrops = [(255, 255, 255), (0, 0, 0), (128, 128, 128), (90, 160, 200)]
    photos = {}
    for (kind, colour), backdrop, photo_name in zip(subjects.items(), backdrops, ["p3", "p1", "p4", "p2"]):
        cut = shape_cutout(kind, colour)
        cut.save(cutouts / f"{kind}.png")
        photo = Image.new("RGB", (32, 32), backdrop)
        photo.paste(cut, (0, 0), cut)
        photo.save(with_bg / f"{photo_name}.png")
        photos[kind] = np.asarray(photo)
    Image.new("RGB", (32, 32), (250, 250, 250)).save(with_bg / "blank.png")  # a photo with no cutout
    before = digests(tmp_path)

    report = BuildReport()
    out = tmp_path / "data"
    build_dataset(pair_subjects(with_bg, cutouts, MatchSettings(), report), out, BuildSettings(), report,
                  [with_bg, cutouts])

    assert sorted(s["id"] for s in report.samples) == ["bar", "disc", "square", "triangle"]
    for kind in subjects:
        alpha = np.asarray(Image.open(cutouts / f"{kind}.png").getchannel("A"))
        assert np.array_equal(read(out / "masks" / f"{kind}.png"), alpha)
        assert np.array_equal(read(out / "images" / f"{kind}.png"), photos[kind])
    assert sorted((Path(m["image"]).name, Path(m["cutout"]).name) for m in report.matches) == [
        ("p1.png", "disc.png"), ("p2.png", "bar.png"), ("p3.png", "square.png"), ("p4.png", "triangle.png")]
    assert all(m["score"] <= 200 and m["runner_up"] > m["score"] for m in report.matches)
    assert [Path(e["path"]).name for e in report.skipped] == ["blank.png"]
    assert report.skipped[0]["reason"].startswith("unmatched image: best score ")
    written = manifest(out)
    assert written["matches"] == report.matches and written["sources"] == [str(with_bg), str(cutouts)]
    assert digests(tmp_path) == {**before, **{k: v for k, v in digests(tmp_path).items() if k.startswith("data/")}}


def test_a_smaller_cutout_is_resized_to_its_photo(tmp_path):
    with_bg, cutouts = tmp_path / "photos", tmp_path / "cutouts"
    with_bg.mkdir()
    cutouts.mkdir()
    big = shape_cutout("square", (220, 30, 30), size=32)
    photo = Image.new("RGB", (32, 32), (0, 90, 0))
    photo.paste(big, (0, 0), big)
    photo.save(with_bg / "photo.png")
    big.resize((16, 16), Image.Resampling.NEAREST).save(cutouts / "square.png")
    report = BuildReport()
    build_dataset(pair_subjects(with_bg, cutouts, MatchSettings(), report), tmp_path / "data", BuildSettings(), report)
    mask = read(tmp_path / "data" / "masks" / "square.png")
    assert mask.shape == (32, 32)
    assert (mask[10:22, 10:22] == 255).all() and (mask[:4] == 0).all() and (mask[:, :4] == 0).all()


# --- the manifest ---------------------------------------------------------------------------------


def test_the_manifest(tmp_path):
    source = tmp_path / "cutouts"
    make_subjects(source, 4)
    rgba_file(source / "opaque.png", alpha=np.full((6, 8), 255, np.uint8))
    out = tmp_path / "data"
    settings = dict(backgrounds=("solid", "noise"), per_subject=2, val_fraction=0.25, seed=9)
    report = build_rgba(source, out, **settings)

    written = load_manifest(out)
    assert written["version"] == 1
    assert written["settings"] == {"soft": True, "hard_threshold": 128, "backgrounds": ["solid", "noise"],
                                   "per_subject": 2, "backgrounds_from": None, "scale": 1, "val_fraction": 0.25,
                                   "test_fraction": 0.0, "seed": 9, "keep_original": True, "merge": None}
    assert written["sources"] == [str(source)]
    assert written["counts"] == {"train": 6, "val": 2}
    assert written["matches"] == []
    assert written["skipped"] == [{"path": str(source / "opaque.png"),
                                   "reason": "fully opaque: the alpha channel marks no background"}]
    assert written["samples"] == report.samples and len(written["samples"]) == 8
    for sample in written["samples"]:
        assert set(sample) == SAMPLE_FIELDS
        assert sample["image"] == f"images/{sample['id']}.png" and sample["mask"] == f"masks/{sample['id']}.png"
        assert (out / sample["image"]).is_file() and (out / sample["mask"]).is_file()
        assert sample["origin"] == str(source / f"{sample['group']}.png")
        assert sample["split"] in ("train", "val")
    assert sorted(p.name for p in out.iterdir()) == ["images", "manifest.json", "masks"]


def test_load_manifest_errors(tmp_path):
    with pytest.raises(InputError, match="not a dataset"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="unreadable manifest"):
        load_manifest(tmp_path)
