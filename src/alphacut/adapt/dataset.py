"""Build a training set (``images/``, ``masks/``, ``manifest.json``) from a user's collection.

Three sources:

- RGBA images: the alpha channel is the mask, and each subject is composited onto new backgrounds
  (:mod:`alphacut.adapt.backgrounds`) so the model learns the subject, not the colour around it;
- images with their background plus cutouts of the same collection, paired by
  :mod:`alphacut.adapt.matching`: the cutout's alpha becomes the mask of its match;
- ``images/`` + ``masks/`` folders paired by file stem.

Samples are split into train / val / test by subject (all composites of one subject land in the
same split), reproducibly from a seed. Source folders are only read.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from alphacut.adapt.backgrounds import BackgroundSource, composite
from alphacut.adapt.collection_style import learn_style
from alphacut.adapt.matching import MatchResult, MatchSettings, match_pairs
from alphacut.errors import AlphacutError, InputError, OutputError
from alphacut.io.decode import decode_first_frame
from alphacut.io.encode import encode_frames
from alphacut.io.files import list_images, read_alpha, write_atomic

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BuildSettings:
    soft: bool = True  # keep alpha 0-255; False thresholds at ``hard_threshold``
    hard_threshold: int = 128
    backgrounds: tuple[str, ...] = ()  # solid, pattern, noise and/or folders of photos
    per_subject: int = 3  # composites per subject when backgrounds are given
    backgrounds_from: str | None = None  # folder of the collection's images with backgrounds: ``per_subject`` more composites in their style
    scale: int = 1  # nearest-neighbour upscale of every subject (pixel art to display size)
    val_fraction: float = 0.1
    test_fraction: float = 0.0
    seed: int = 0
    keep_original: bool = True  # keep the real image of image+mask / pair sources as a sample
    merge: str | None = None  # an earlier dataset whose samples (and their splits) are carried over


@dataclass
class Subject:
    group: str  # split unit: all samples of one subject share a split
    origin: str  # the source file(s), for the manifest
    rgb: np.ndarray  # HxWx3 uint8 (the real image; for RGBA sources the subject's colours)
    alpha: np.ndarray  # HxW uint8
    has_background: bool  # False for RGBA cutouts: only composites make samples


@dataclass
class BuildReport:
    samples: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)
    style: str | None = None  # what --backgrounds-from learned

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped.append({"path": str(path), "reason": reason})

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sample in self.samples:
            counts[sample["split"]] = counts.get(sample["split"], 0) + 1
        return counts


def _read(path: Path) -> Image.Image:
    return decode_first_frame(path)


def rgba_subjects(folder: Path, report: BuildReport) -> Iterator[Subject]:
    """Subjects from RGBA images; images without transparency are skipped (nothing to learn from)."""
    for path in list_images(folder):
        try:
            image = _read(path)
        except AlphacutError as exc:
            report.skip(path, str(exc))
            continue
        if image.mode != "RGBA":
            report.skip(path, "no alpha channel")
            continue
        array = np.asarray(image)
        alpha = array[..., 3]
        if alpha.min() == 255:
            report.skip(path, "fully opaque: the alpha channel marks no background")
            continue
        if alpha.max() == 0:
            report.skip(path, "fully transparent: no subject")
            continue
        yield Subject(_key(path, folder), str(path), np.ascontiguousarray(array[..., :3]), alpha, False)


def mask_subjects(images: Path, masks: Path, report: BuildReport) -> Iterator[Subject]:
    """Subjects from ``images/`` + ``masks/`` (same relative path and stem; grey or RGBA masks)."""
    mask_by_key = {_key(p, masks): p for p in list_images(masks)}
    for path in list_images(images):
        mask_path = mask_by_key.pop(_key(path, images), None)
        if mask_path is None:
            report.skip(path, "no mask with the same name")
            continue
        try:
            image, mask = _read(path), read_alpha(mask_path)  # grey (8 or 16 bit) or the alpha of RGBA/LA
        except AlphacutError as exc:
            report.skip(path, str(exc))
            continue
        if mask.shape != (image.height, image.width):
            report.skip(path, f"mask {mask_path.name} is {mask.shape[1]}x{mask.shape[0]}, image {image.size[0]}x{image.size[1]}")
            continue
        yield Subject(_key(path, images), str(path), np.asarray(image.convert("RGB")), mask, True)
    for mask_path in mask_by_key.values():
        report.skip(mask_path, "no image with the same name")


def pair_subjects(
    with_background: Path, cutouts: Path, settings: MatchSettings, report: BuildReport
) -> Iterator[Subject]:
    """Subjects from matched (image, cutout) pairs: the cutout's alpha, resized to the image if needed."""
    result: MatchResult = match_pairs(list_images(with_background), list_images(cutouts), settings)
    for match in result.matches:
        report.matches.append({"image": str(match.image), "cutout": str(match.cutout), "score": round(match.score, 2),
                               "runner_up": None if match.runner_up is None else round(match.runner_up, 2)})
    for match in result.ambiguous:
        report.skip(match.image, f"ambiguous: {match.cutout.name} scores {match.score:.1f}, "
                                 f"another candidate {match.runner_up:.1f}")
    for path, reason in result.unmatched_images:
        report.skip(path, f"unmatched image: {reason}")
    for path, reason in result.unmatched_cutouts:
        report.skip(path, f"unmatched cutout: {reason}")
    for match in result.matches:
        try:
            image, cutout = _read(match.image), _read(match.cutout)
        except AlphacutError as exc:
            report.skip(match.image, str(exc))
            continue
        if cutout.mode != "RGBA":
            report.skip(match.cutout, "cutout has no alpha channel")
            continue
        alpha = cutout.getchannel("A")
        if alpha.size != image.size:
            alpha = alpha.resize(image.size, Image.Resampling.BILINEAR)
        yield Subject(_key(match.cutout, cutouts), f"{match.image} + {match.cutout}",
                      np.asarray(image.convert("RGB")), np.asarray(alpha), True)


def build_dataset(
    subjects: Iterator[Subject],
    out: Path,
    settings: BuildSettings,
    report: BuildReport | None = None,
    sources: list[Path] = (),
    progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Write every sample of ``subjects`` under ``out`` and the manifest last (a folder without a
    manifest is an unfinished build)."""
    report = report or BuildReport()
    if settings.val_fraction + settings.test_fraction >= 1.0:
        raise InputError("--val plus --test must leave subjects for training (their sum must be below 1)")
    _check_output(out, sources)
    rng = np.random.default_rng(settings.seed)
    style = learn_style(Path(settings.backgrounds_from)) if settings.backgrounds_from else None
    if style is not None:
        for path, reason in style.skipped:
            report.skip(path, f"--backgrounds-from: {reason}")
        report.style = style.summary()
    kinds = list(settings.backgrounds) or (["own"] if style else [])
    backgrounds = BackgroundSource(kinds, rng, style) if kinds else None
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    used_ids: set[str] = set()
    carried = _carry_over(Path(settings.merge), out, used_ids) if settings.merge else []
    for number, subject in enumerate(subjects):
        rgb, alpha = _upscale(subject.rgb, settings.scale), _upscale(subject.alpha, settings.scale)
        mask = alpha if settings.soft else np.where(alpha >= settings.hard_threshold, 255, 0).astype(np.uint8)
        stem = _unique(subject.group.replace("/", "__"), used_ids)
        variants: list[tuple[str, np.ndarray]] = []
        if subject.has_background and settings.keep_original:
            variants.append(("original", rgb))
        if backgrounds is not None:
            rgba = np.dstack([rgb, alpha])
            opaque = alpha > 127
            mean_colour = rgb[opaque].mean(axis=0) if opaque.any() else None
            # each subject starts one kind further, so fewer composites than kinds still cover them all
            drawn_kinds = [backgrounds.kinds[(number + index) % len(backgrounds.kinds)] for index in range(settings.per_subject)]
            if style is not None and settings.backgrounds:  # alongside the generic kinds, as many again
                drawn_kinds += ["own"] * settings.per_subject
            for kind in drawn_kinds:
                drawn = backgrounds.draw(kind, (rgb.shape[1], rgb.shape[0]), cell=settings.scale, near=mean_colour)
                variants.append((kind, composite(rgba, drawn)))
        if not variants:
            report.skip(subject.origin, "RGBA cutout but no --backgrounds to composite it on")
            continue
        for index, (background, image) in enumerate(variants):
            name = f"{stem}_{index}" if len(variants) > 1 else stem
            write_atomic(out / "images" / f"{name}.png", _png(image))
            write_atomic(out / "masks" / f"{name}.png", _png(mask))
            report.samples.append({"id": name, "image": f"images/{name}.png", "mask": f"masks/{name}.png",
                                   "group": subject.group, "origin": subject.origin, "background": background,
                                   "grid": settings.scale})
        if progress:
            progress(subject.origin)
    _assign_splits(report.samples, settings)
    report.samples[:0] = carried
    manifest = {
        "version": 1,
        "settings": asdict(settings),
        "sources": [str(s) for s in sources],
        "counts": report.counts(),
        "samples": report.samples,
        "matches": report.matches,
        "style": report.style,
        "skipped": report.skipped,
    }
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=1).encode())
    return report


def _carry_over(earlier: Path, out: Path, used_ids: set[str]) -> list[dict]:
    """Copy an earlier dataset's samples into ``out`` with their split (a model resumed on the merged
    set keeps its validation images, and goes on learning from the old samples alongside the new)."""
    manifest = load_manifest(earlier)
    carried = []
    for sample in manifest["samples"]:
        name = _unique(sample["id"], used_ids)
        for key, folder in (("image", "images"), ("mask", "masks")):
            source = earlier / sample[key]
            if not source.is_file():
                raise InputError(f"--merge {earlier}: sample {sample['id']} has no {key} file {sample[key]}")
            write_atomic(out / folder / f"{name}{source.suffix}", source.read_bytes())
        carried.append({**sample, "id": name, "image": f"images/{name}{Path(sample['image']).suffix}",
                        "mask": f"masks/{name}{Path(sample['mask']).suffix}", "merged_from": str(earlier)})
    return carried


def _assign_splits(samples: list[dict], settings: BuildSettings) -> None:
    groups = sorted({s["group"] for s in samples})
    order = np.random.default_rng(settings.seed).permutation(len(groups))
    n_test = round(len(groups) * settings.test_fraction)
    n_val = round(len(groups) * settings.val_fraction)
    if settings.val_fraction > 0 and n_val == 0 and len(groups) - n_test >= 2:
        n_val = 1  # a validation set of one subject beats none
    split_of = {}
    for rank, index in enumerate(order):
        split_of[groups[index]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    for sample in samples:
        sample["split"] = split_of[sample["group"]]


def _check_output(out: Path, sources: list[Path]) -> None:
    resolved = out.resolve()
    for source in sources:
        source = source.resolve()
        if resolved == source or source in resolved.parents or resolved in source.parents:
            raise OutputError(f"{out}: the dataset folder must be outside the source folder {source}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out}: exists and is not empty; choose a new folder (or delete it)")


def _upscale(array: np.ndarray, scale: int) -> np.ndarray:
    if scale <= 1:
        return array
    return np.repeat(np.repeat(array, scale, axis=0), scale, axis=1)


def _png(array: np.ndarray) -> bytes:
    return encode_frames([Image.fromarray(array)], "PNG")


def _key(path: Path, root: Path) -> str:
    return str(path.relative_to(root).with_suffix(""))


def _unique(stem: str, used: set[str]) -> str:
    candidate, counter = stem, 1
    while candidate in used:
        counter += 1
        candidate = f"{stem}-{counter}"
    used.add(candidate)
    return candidate


def load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder}: not a dataset (no {MANIFEST}); build one with 'alphacut dataset build'")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})") from None
