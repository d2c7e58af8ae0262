"""Pairing images with their background to cutouts of the same subjects."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from alphacut.adapt.matching import MatchSettings, centre_thumbnail, match_pairs, score_matrix

SUBJECTS = {  # name: (shape, colour)
    "square": ("square", (220, 30, 30)),
    "disc": ("disc", (30, 200, 60)),
    "triangle": ("triangle", (40, 40, 220)),
    "cross": ("cross", (240, 220, 20)),
}


def cutout(shape: str, colour: tuple[int, int, int], size: int = 32) -> Image.Image:
    image = Image.new("RGBA", (size, size), (255, 0, 255, 0))  # transparent pixels carry a loud colour
    draw = ImageDraw.Draw(image)
    fill = colour + (255,)
    if shape == "square":
        draw.rectangle((6, 6, 26, 26), fill=fill)
    elif shape == "disc":
        draw.ellipse((6, 6, 26, 26), fill=fill)
    elif shape == "triangle":
        draw.polygon([(16, 4), (28, 27), (4, 27)], fill=fill)
    elif shape == "cross":
        draw.rectangle((13, 4, 19, 28), fill=fill)
        draw.rectangle((4, 13, 28, 19), fill=fill)
    elif shape == "ring":
        draw.ellipse((3, 3, 29, 29), fill=fill)
        draw.ellipse((10, 10, 22, 22), fill=(0, 0, 0, 0))
    return image


def on_background(subject: Image.Image, background: Image.Image) -> Image.Image:
    picture = background.convert("RGB").copy()
    picture.paste(subject, (0, 0), subject)
    return picture


def backgrounds(size: int = 32) -> list[Image.Image]:
    rng = np.random.default_rng(4)
    stripes = np.zeros((size, size, 3), np.uint8)
    stripes[::4] = (250, 250, 250)
    return [
        Image.new("RGB", (size, size), (255, 255, 255)),
        Image.new("RGB", (size, size), (0, 0, 0)),
        Image.fromarray(stripes),
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)),
    ]


@pytest.fixture()
def collection(tmp_path) -> tuple[Path, Path, dict[str, str]]:
    """4 cutouts and the same subjects on 4 different backgrounds, under names that do not tell which is which."""
    cutouts, photos = tmp_path / "cutouts", tmp_path / "photos"
    cutouts.mkdir()
    photos.mkdir()
    truth = {}
    for index, ((name, (shape, colour)), photo_name) in enumerate(zip(SUBJECTS.items(), ["d", "b", "a", "c"])):
        subject = cutout(shape, colour)
        subject.save(cutouts / f"{name}.png")
        on_background(subject, backgrounds()[index]).save(photos / f"IMG_{photo_name}.png")
        truth[f"IMG_{photo_name}.png"] = f"{name}.png"
    return photos, cutouts, truth


def pairs(result) -> dict[str, str]:
    return {m.image.name: m.cutout.name for m in result.matches}


def images_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


# --- centre_thumbnail ---------------------------------------------------------------------------


def test_thumbnail_of_a_flat_opaque_colour():
    grey, weight = centre_thumbnail(Image.new("RGB", (10, 10), (100, 150, 200)), MatchSettings(size=4))
    assert grey.shape == (16,) and weight.shape == (16,)
    # Pillow's luma: (100*19595 + 150*38470 + 200*7471 + 32768) >> 16 = 141
    assert (grey == 141).all()
    assert (weight == 1).all()


def test_thumbnail_of_a_flat_rgba_colour_uses_the_unrounded_luma():
    grey, weight = centre_thumbnail(Image.new("RGBA", (10, 10), (100, 150, 200, 255)), MatchSettings(size=4))
    assert grey == pytest.approx(np.full(16, 0.299 * 100 + 0.587 * 150 + 0.114 * 200), abs=1e-3)  # 140.75
    assert weight == pytest.approx(np.ones(16))


def test_thumbnail_weights_follow_opacity_and_transparent_colour_is_ignored():
    array = np.zeros((8, 8, 4), np.uint8)
    array[..., :3] = (255, 255, 255)  # white where transparent: must not leak into the grey
    array[:, :5] = (60, 60, 60, 255)  # five opaque columns ...
    array[:, 5] = (60, 60, 60, 1)  # ... and a sixth of the same grey, almost transparent
    grey, weight = centre_thumbnail(Image.fromarray(array, "RGBA"), MatchSettings(crop=1.0, size=4))
    grey, weight = grey.reshape(4, 4), weight.reshape(4, 4)
    # thumbnail columns cover image columns 0-1, 2-3, 4-5 (alpha 255 and 1: mean 128) and 6-7
    assert weight[:, :2] == pytest.approx(np.ones((4, 2)))
    assert weight[:, 2] == pytest.approx(np.full(4, 128 / 255))
    assert (weight[:, 3] == 0).all()
    assert grey[:, :3] == pytest.approx(np.full((4, 3), 60.0), abs=1e-3)  # the edge cell is not pulled to white or black
    assert (grey[:, 3] == 0).all()


def test_thumbnail_of_a_flat_colour_is_that_grey_whatever_the_alpha():
    for alphas in ([[2, 1], [1, 1]], [[255, 0], [0, 0]]):
        array = np.zeros((2, 2, 4), np.uint8)
        array[..., :3] = 250
        array[..., 3] = alphas
        grey, weight = centre_thumbnail(Image.fromarray(array, "RGBA"), MatchSettings(crop=1.0, size=1))
        assert grey[0] == pytest.approx(250.0, abs=0.5)  # reads 156.25 and 249.02
        assert weight[0] == pytest.approx(np.mean(alphas) / 255, abs=1e-4)


def test_thumbnail_of_half_transparent_pixels():
    grey, weight = centre_thumbnail(Image.new("RGBA", (6, 6), (200, 200, 200, 51)), MatchSettings(crop=1.0, size=3))
    assert weight == pytest.approx(np.full(9, 0.2))
    assert grey == pytest.approx(np.full(9, 200.0), abs=1e-3)


def test_thumbnail_keeps_only_the_centre():
    image = Image.new("RGB", (10, 10), (255, 255, 255))
    image.paste((30, 30, 30), (2, 2, 8, 8))  # crop 0.6 of 10 px keeps columns and rows 2..7
    grey, weight = centre_thumbnail(image, MatchSettings(crop=0.6, size=3))
    assert (grey == 30).all() and (weight == 1).all()
    grey_wider, _ = centre_thumbnail(image, MatchSettings(crop=1.0, size=5))
    assert grey_wider.reshape(5, 5)[0, 0] == 255 and grey_wider.reshape(5, 5)[2, 2] == 30


def test_thumbnail_of_a_palette_image_with_transparency():
    palette = Image.new("P", (4, 4), 0)
    palette.putpalette([0, 0, 0, 90, 90, 90])
    palette.info["transparency"] = 0
    palette.paste(1, (0, 0, 2, 4))
    grey, weight = centre_thumbnail(palette, MatchSettings(crop=1.0, size=2))
    assert weight.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert grey[0] == pytest.approx(90.0, abs=1e-3) and grey[1] == 0


# --- score_matrix -------------------------------------------------------------------------------


def test_score_matrix_equals_the_direct_weighted_mse():
    rng = np.random.default_rng(7)
    images = rng.uniform(0, 255, (3, 10)).astype(np.float32)
    cutouts = rng.uniform(0, 255, (4, 10)).astype(np.float32)
    weights = rng.uniform(0, 1, (4, 10)).astype(np.float32)
    weights[2, :6] = 0  # a partly transparent cutout: only its opaque part counts
    weights[2, 6:] = 1
    scores = score_matrix(images, cutouts, weights)
    assert scores.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            w, a, b = weights[j].astype(float), images[i].astype(float), cutouts[j].astype(float)
            expected = (w * (a - b) ** 2).sum() / w.sum()
            assert scores[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-6)
    # column 2 only looks at the last four entries
    assert scores[0, 2] == pytest.approx(((images[0, 6:].astype(float) - cutouts[2, 6:]) ** 2).mean(), rel=1e-9)


def test_score_matrix_by_hand_and_cutouts_with_almost_nothing_opaque():
    images = np.array([[10.0, 20.0], [0.0, 0.0]])
    cutouts = np.array([[10.0, 0.0], [0.0, 0.0]])
    weights = np.array([[1.0, 3.0], [0.4, 0.5]])  # second cutout: total weight 0.9 < 1
    scores = score_matrix(images, cutouts, weights)
    assert scores[0, 0] == pytest.approx((0 + 3 * 400) / 4)  # 300
    assert scores[1, 0] == pytest.approx((100 + 0) / 4)  # 25
    assert np.isinf(scores[:, 1]).all()


def test_identical_thumbnails_score_zero():
    values = np.random.default_rng(1).uniform(0, 255, (2, 16))
    scores = score_matrix(values, values, np.ones((2, 16)))
    assert scores[0, 0] == pytest.approx(0, abs=1e-6) and scores[1, 1] == pytest.approx(0, abs=1e-6)
    assert scores[0, 1] > 100 and scores[1, 0] > 100


# --- match_pairs --------------------------------------------------------------------------------


def test_every_image_finds_its_own_cutout(collection):
    photos, cutouts, truth = collection
    result = match_pairs(images_in(photos), images_in(cutouts))
    assert pairs(result) == truth
    assert result.ambiguous == [] and result.unmatched_images == [] and result.unmatched_cutouts == []
    for match in result.matches:
        assert match.score <= 200 and match.runner_up is not None and match.runner_up > 1.5 * match.score


def test_the_order_of_the_inputs_does_not_matter(collection):
    photos, cutouts, truth = collection
    result = match_pairs(images_in(photos)[::-1], images_in(cutouts)[1:] + images_in(cutouts)[:1])
    assert pairs(result) == truth


def test_an_image_without_a_cutout_is_left_unmatched_with_a_reason(collection):
    photos, cutouts, truth = collection
    on_background(cutout("ring", (255, 140, 0)), backgrounds()[0]).save(photos / "IMG_extra.png")
    result = match_pairs(images_in(photos), images_in(cutouts))
    assert pairs(result) == truth
    assert [(path.name) for path, _ in result.unmatched_images] == ["IMG_extra.png"]
    reason = result.unmatched_images[0][1]
    assert re.fullmatch(r"best score \d+\.\d > threshold 200", reason), reason
    assert float(reason.split()[2]) > 200  # the message is true for this image
    assert result.unmatched_cutouts == [] and result.ambiguous == []


def test_a_cutout_without_an_image_is_left_unmatched(collection):
    photos, cutouts, truth = collection
    (photos / "IMG_b.png").unlink()
    result = match_pairs(images_in(photos), images_in(cutouts))
    assert pairs(result) == {k: v for k, v in truth.items() if k != "IMG_b.png"}
    assert [path.name for path, _ in result.unmatched_cutouts] == [truth["IMG_b.png"]]


def test_the_reason_for_an_unassigned_image_is_true(collection):
    photos, cutouts, _ = collection
    # a second photo of the square: its best score is tiny, but the square's cutout is taken
    on_background(cutout(*SUBJECTS["square"]), backgrounds()[1]).save(photos / "IMG_again.png")
    result = match_pairs(images_in(photos), images_in(cutouts))
    assert len(result.unmatched_images) == 1
    path, reason = result.unmatched_images[0]
    assert path.name in ("IMG_again.png", "IMG_d.png")  # one of the two square photos
    claim = re.match(r"best score (\S+) > threshold", reason)
    assert claim is None or float(claim.group(1)) > 200, reason  # reads 'best score 0.0 > threshold 200'


def test_two_identical_cutouts_make_the_match_ambiguous(collection):
    photos, cutouts, truth = collection
    shutil.copy(cutouts / "disc.png", cutouts / "disc copy.png")
    result = match_pairs(images_in(photos), images_in(cutouts))
    disc_image = next(image for image, cut in truth.items() if cut == "disc.png")
    assert [m.image.name for m in result.ambiguous] == [disc_image]
    ambiguous = result.ambiguous[0]
    assert ambiguous.cutout.name in ("disc.png", "disc copy.png")
    assert ambiguous.runner_up == pytest.approx(ambiguous.score)
    assert pairs(result) == {k: v for k, v in truth.items() if v != "disc.png"}
    assert [path.name for path, _ in result.unmatched_cutouts] == [
        "disc copy.png" if ambiguous.cutout.name == "disc.png" else "disc.png"]


def test_the_threshold_is_respected(tmp_path):
    # a cutout opaque over the whole centre in grey 100, and an image of grey 110: the score is 10^2 = 100
    (tmp_path / "cut").mkdir()
    (tmp_path / "img").mkdir()
    Image.new("RGBA", (20, 20), (100, 100, 100, 255)).save(tmp_path / "cut" / "grey.png")
    Image.new("RGB", (20, 20), (110, 110, 110)).save(tmp_path / "img" / "photo.png")
    images, cutouts = [tmp_path / "img" / "photo.png"], [tmp_path / "cut" / "grey.png"]

    accepted = match_pairs(images, cutouts, MatchSettings(threshold=100.01))
    assert len(accepted.matches) == 1
    assert accepted.matches[0].score == pytest.approx(100.0, abs=0.01)
    assert accepted.matches[0].runner_up is None  # nothing else to compare with

    refused = match_pairs(images, cutouts, MatchSettings(threshold=99.99))
    assert refused.matches == [] and refused.ambiguous == []
    assert refused.unmatched_images == [(images[0], "best score 100.0 > threshold 99.99")]
    assert refused.unmatched_cutouts == [(cutouts[0], "best score 100.0 > threshold 99.99")]


def test_a_runner_up_within_the_ambiguity_factor(tmp_path):
    # one image (grey 100) and two cutouts (grey 110 and 112): scores 100 and 144
    for name, value in (("a.png", 110), ("b.png", 112)):
        Image.new("RGBA", (20, 20), (value, value, value, 255)).save(tmp_path / name)
    Image.new("RGB", (20, 20), (100, 100, 100)).save(tmp_path / "photo.png")
    images, cutouts = [tmp_path / "photo.png"], [tmp_path / "a.png", tmp_path / "b.png"]

    strict = match_pairs(images, cutouts, MatchSettings(ambiguity=1.5))  # 144 <= 150: ambiguous
    assert strict.matches == [] and len(strict.ambiguous) == 1
    assert strict.ambiguous[0].cutout.name == "a.png" and strict.ambiguous[0].runner_up == pytest.approx(144, abs=0.01)

    relaxed = match_pairs(images, cutouts, MatchSettings(ambiguity=1.4))  # 144 > 140: a match
    assert [m.cutout.name for m in relaxed.matches] == ["a.png"] and relaxed.ambiguous == []


def test_unreadable_files_are_reported_and_the_rest_still_match(collection):
    photos, cutouts, truth = collection
    (photos / "IMG_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this stops here")
    result = match_pairs(images_in(photos), images_in(cutouts))
    assert pairs(result) == truth
    assert [(p.name, r.startswith("unreadable (")) for p, r in result.unmatched_images] == [("IMG_broken.png", True)]


def test_nothing_to_compare_with(collection):
    photos, _, _ = collection
    result = match_pairs(images_in(photos), [])
    assert result.matches == []
    assert sorted((p.name, r) for p, r in result.unmatched_images) == [
        (name, "no cutout to compare with") for name in ("IMG_a.png", "IMG_b.png", "IMG_c.png", "IMG_d.png")]
