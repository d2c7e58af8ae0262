"""Finding the separate objects of a photo without an instance model.

The salient-object model gives one mask for everything that stands out; this module cuts it into
objects and makes each one as sharp as the model can:

1. **Parts.** The 8-connected components of ``alpha > 0.5``; specks (a few pixels) are dropped.
2. **Touching objects split** where the mask narrows *and* the colour changes: an opening by a disc
   of ``SPLIT_NECK`` x the component's largest inscribed radius leaves one core per blob, a
   marker-controlled watershed on the colour image (Meyer 1994, OpenCV's ``watershed``) gives every
   pixel to a core, and two neighbouring parts stay apart only if their neck is narrow next to
   both of them and their mean CIELAB colours differ by at least ``SPLIT_DELTA_E``. A head on a
   torso (wide neck next to the head) or a bicycle under its rider (no core of its own: thin
   tubes vanish in the opening) therefore stays whole.
3. **Parts that belong together merged**: parts within ``GAP`` of each other along a contact at
   least ``CONTACT`` x the smaller one's equivalent diameter (a rider and the bicycle the model
   cut apart at the pedals, a hand and what it holds), or a part lying mostly inside a larger
   one's box and touching it.
4. **Zoom-in**: the model runs again on each object's box (with a margin) at its full input
   resolution, so small objects get the detail the whole-image pass lost. The crop's mask is
   kept where it overlaps the object, and every pixel belongs to one object only (the nearest).
5. **Specks dropped** (``min_area``), the largest ``max_objects`` kept, each with a score: the
   agreement of the two passes (IoU) times how decided the alpha is (mean ``|2 alpha - 1|``).

Objects are returned back to front: the one whose box reaches lowest is taken as the closest
(the ground-plane cue photographers rely on), ties by area.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from alphacut.errors import InputError

#: ``matte(image) -> (alpha, colours)``: H x W float alpha in [0, 1] and H x W x 3 uint8 colours
#: (decontaminated at soft edges) or ``None`` when the caller has only a probability map.
Matte = Callable[[Image.Image], tuple[np.ndarray, np.ndarray | None]]

EIGHT = np.ones((3, 3), bool)
SPECK_PIXELS = 12  # parts smaller than this are noise, dropped before any other step
SPLIT_NECK = 0.3  # opening radius, as a share of the component's largest inscribed radius
SPLIT_NECK_SHARE = 0.5  # a neck narrower than this x both parts' inscribed radii is a neck
SPLIT_DELTA_E = 20.0  # CIELAB distance of the mean colours that makes two touching parts two objects
SPLIT_SIDE = 512  # touching objects are looked for with the component at most this many px on a side
CORE_SHARE = 0.05  # a core must hold this share of its component to count as a blob of its own
GAP = 0.01  # parts this close (share of the image diagonal, >= 3 px) may be one object
CONTACT = 0.35  # near-contact length, as a share of the smaller part's equivalent diameter
INSIDE_SHARE = 0.7  # a touching part with this share of its box inside a larger one's box is held by it
ZOOM_MARGIN = 0.12  # margin around an object's box for its second pass, as a share of the box side
ZOOM_MAX_SHARE = 0.6  # boxes covering more of the image than this gain nothing from a second pass


@dataclass
class FoundObject:
    """One object: its box (x0, y0, x1, y1; x1, y1 exclusive), the alpha inside the box (float32,
    0 outside the object's own pixels), the colours there (uint8, or ``None``), area in pixels
    (alpha > 0.5), and a score in [0, 1] (1: both passes agree and the alpha is decided)."""

    box: tuple[int, int, int, int]
    alpha: np.ndarray
    colours: np.ndarray | None
    area: int
    score: float

    def full_alpha(self, shape: tuple[int, ...]) -> np.ndarray:
        """The alpha on the whole image (H x W float32)."""
        full = np.zeros(shape[:2], np.float32)
        x0, y0, x1, y1 = self.box
        full[y0:y1, x0:x1] = self.alpha
        return full

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.full_alpha(shape) > 0.5

    def moved(self, left: int, top: int) -> "FoundObject":
        """The same object with its box shifted by (``left``, ``top``): found in a window, placed on the image."""
        x0, y0, x1, y1 = self.box
        return FoundObject((x0 + left, y0 + top, x1 + left, y1 + top), self.alpha, self.colours, self.area, self.score)

    def contains(self, x: int, y: int) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 <= x < x1 and y0 <= y < y1 and self.alpha[y - y0, x - x0] > 0.5


def default_min_area(shape: tuple[int, ...]) -> int:
    """Objects smaller than 0.1 % of the image (at least 16 px) are specks."""
    return max(16, round(0.001 * shape[0] * shape[1]))


def find_objects(
    rgb: np.ndarray,
    matte: Matte,
    *,
    max_objects: int = 8,
    min_area: int | None = None,
    zoom: bool = True,
    first_pass: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> list[FoundObject]:
    """The objects of ``rgb`` (H x W x 3 uint8), back to front; an empty list if the model sees none.
    ``first_pass`` is ``matte``'s result on the whole image when the caller has it already."""
    if max_objects < 1:
        raise InputError(f"--max-objects must be at least 1, not {max_objects}")
    height, width = rgb.shape[:2]
    min_area = default_min_area(rgb.shape) if min_area is None else min_area
    alpha, colours = first_pass if first_pass is not None else matte(Image.fromarray(rgb))
    alpha = np.asarray(alpha, np.float32)
    parts = _split_touching(rgb, _drop_small(alpha > 0.5, SPECK_PIXELS))
    merged = _merge_belonging(parts, gap=max(3, round(GAP * np.hypot(height, width))))
    areas = np.bincount(merged.ravel())
    areas[0] = 0
    largest = [int(label) for label in np.argsort(-areas, kind="stable") if areas[label] >= max(1, min_area)]
    masks = [merged == label for label in largest[:max_objects]]
    if not masks:
        return []
    owner = territories(masks, alpha.shape)
    objects = []
    for index, mask in enumerate(masks):
        territory = owner == index + 1
        found = _zoom_in(rgb, mask, territory, alpha, colours, matte) if zoom else None
        objects.append(found or _from_first_pass(mask, territory, alpha, colours))
    objects = [o for o in objects if o.area >= min_area]
    return sorted(objects, key=lambda o: (o.box[3], o.area))


def object_under(objects: list[FoundObject], point: tuple[int, int], reach: int = 3) -> FoundObject | None:
    """The object at ``point`` (x, y), or within ``reach`` px of it (a click on an edge)."""
    x, y = point
    for found in reversed(objects):  # the front-most object wins where two overlap
        if found.contains(x, y):
            return found
    best, best_distance = None, reach + 1.0
    for found in objects:
        x0, y0, x1, y1 = found.box
        window = found.alpha[max(0, y - reach - y0):max(0, y + reach + 1 - y0), max(0, x - reach - x0):max(0, x + reach + 1 - x0)]
        if window.size and (window > 0.5).any():
            ys, xs = np.nonzero(window > 0.5)
            top, left = max(0, y - reach - y0) + y0, max(0, x - reach - x0) + x0
            distance = float(np.min(np.hypot(xs + left - x, ys + top - y)))
            if distance < best_distance:
                best, best_distance = found, distance
    return best


def _drop_small(mask: np.ndarray, pixels: int) -> np.ndarray:
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        return mask
    areas = np.bincount(labels.ravel())
    keep = areas >= pixels
    keep[0] = False
    return keep[labels]


def _split_touching(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Label map of the parts: every component of ``mask``, cut into the objects it holds (step 2
    of the module docstring)."""
    labels, _ = ndimage.label(mask, structure=EIGHT)
    parts = np.zeros(mask.shape, np.int32)
    next_label = 1
    for index, window in enumerate(ndimage.find_objects(labels), start=1):
        if window is None:
            continue
        grown = tuple(slice(max(0, s.start - 2), min(n, s.stop + 2)) for s, n in zip(window, mask.shape))
        local = labels[grown] == index
        for piece in _split_component(rgb[grown], local):
            parts[grown][piece] = next_label  # parts[grown] is a view: this writes into ``parts``
            next_label += 1
    return parts


def _split_component(rgb: np.ndarray, component: np.ndarray) -> list[np.ndarray]:
    """The objects one component holds, found at most ``SPLIT_SIDE`` px on a side: necks and colours
    are judged as well at that scale, and the opening's disc grows with the component."""
    scale = SPLIT_SIDE / max(component.shape)
    if scale >= 1.0:
        return _split_at_scale(rgb, component)
    size = (max(1, round(component.shape[1] * scale)), max(1, round(component.shape[0] * scale)))
    small = cv2.resize(component.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
    pieces = _split_at_scale(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), small)
    if len(pieces) < 2:
        return [component]
    labels = np.zeros(small.shape, np.int32)
    for index, piece in enumerate(pieces, start=1):
        labels[piece] = index
    full = cv2.resize(labels, (component.shape[1], component.shape[0]), interpolation=cv2.INTER_NEAREST)
    assigned = (full > 0) & component
    _, (iy, ix) = ndimage.distance_transform_edt(~assigned, return_indices=True)
    full = np.where(component, full[iy, ix], 0)
    return [full == index for index in range(1, len(pieces) + 1) if (full == index).any()]


def _split_at_scale(rgb: np.ndarray, component: np.ndarray) -> list[np.ndarray]:
    distance = cv2.distanceTransform(component.astype(np.uint8), cv2.DIST_L2, 5)
    radius = int(SPLIT_NECK * distance.max())
    if radius < 2:
        return [component]
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.morphologyEx(component.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0
    cores, count = ndimage.label(opened, structure=EIGHT)
    if count < 2:
        return [component]
    areas = np.bincount(cores.ravel())
    big = np.flatnonzero(areas >= CORE_SHARE * component.sum())
    big = big[big > 0]
    if len(big) < 2:
        return [component]
    markers = np.zeros(component.shape, np.int32)
    for new, old in enumerate(big, start=1):
        markers[cores == old] = new
    markers[~component] = len(big) + 1  # the background is a basin of its own
    cv2.watershed(np.ascontiguousarray(rgb[..., ::-1]), markers)
    # watershed lines (-1) and stray background labels inside the component go to the nearest part
    assigned = (markers >= 1) & (markers <= len(big)) & component
    _, (iy, ix) = ndimage.distance_transform_edt(~assigned, return_indices=True)
    pieces = np.where(component, markers[iy, ix], 0)
    return _rejoin_weak_splits(rgb, pieces, distance, len(big))


class _Groups:
    """Union-find over the labels 0..count (path halving): which parts have been joined."""

    def __init__(self, count: int):
        self.parent = list(range(count + 1))

    def root(self, label: int) -> int:
        parent = self.parent
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    def join(self, label: int, *, into: int) -> None:
        self.parent[self.root(label)] = self.root(into)


def _rejoin_weak_splits(rgb: np.ndarray, pieces: np.ndarray, distance: np.ndarray, count: int) -> list[np.ndarray]:
    """Neighbouring pieces stay apart only across a narrow neck and a colour change."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0  # OpenCV's 8-bit L is 0..255; a and b are offset by 128 (cancels out)
    index = np.arange(1, count + 1)
    means = np.stack([ndimage.mean(lab[..., c], pieces, index) for c in range(3)], axis=1)
    radii = ndimage.maximum(distance, pieces, index)
    groups = _Groups(count)
    for a in range(1, count + 1):
        boundary = cv2.dilate((pieces == a).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        for b in np.unique(pieces[boundary & (pieces > a)]):
            seam = boundary & (pieces == b)
            neck = float(distance[seam].max())
            narrow = neck < SPLIT_NECK_SHARE * min(radii[a - 1], radii[b - 1])
            different = float(np.linalg.norm(means[a - 1] - means[b - 1])) >= SPLIT_DELTA_E
            if not (narrow and different):
                groups.join(int(b), into=a)
    joined: dict[int, np.ndarray] = {}
    for label in range(1, count + 1):
        joined.setdefault(groups.root(label), np.zeros(pieces.shape, bool))
        joined[groups.root(label)] |= pieces == label
    return list(joined.values())


def _merge_belonging(parts: np.ndarray, gap: int) -> np.ndarray:
    """``parts`` (a label map) relabelled so that parts that belong together share a label (step 3
    of the module docstring). Contacts are measured in a window around the smaller part only."""
    count = int(parts.max())
    if count < 2:
        return parts
    height, width = parts.shape
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * gap + 1, 2 * gap + 1))
    areas = np.bincount(parts.ravel(), minlength=count + 1)
    boxes = [(0, 0, 0, 0)] + [(w[1].start, w[0].start, w[1].stop, w[0].stop) for w in ndimage.find_objects(parts)]
    groups = _Groups(count)
    for a in range(1, count + 1):
        for b in range(a + 1, count + 1):
            if not _boxes_within(boxes[a], boxes[b], gap):
                continue
            small, large = (a, b) if areas[a] <= areas[b] else (b, a)
            x0, y0, x1, y1 = boxes[small]
            window = (slice(max(0, y0 - gap - 1), min(height, y1 + gap + 1)), slice(max(0, x0 - gap - 1), min(width, x1 + gap + 1)))
            near = cv2.dilate((parts[window] == large).astype(np.uint8), disc) > 0
            contact = int((near & _edge(parts[window] == small)).sum())
            if contact == 0:
                continue
            diameter = 2.0 * np.sqrt(areas[small] / np.pi)
            held = _inside_share(boxes[small], boxes[large]) >= INSIDE_SHARE
            if contact >= CONTACT * diameter or held:
                groups.join(a, into=b)
    lookup = np.array([groups.root(i) for i in range(count + 1)], np.int32)
    return lookup[parts]


def territories(masks: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Label map (1-based) that gives every pixel to the nearest object's mask (all 0 without any)."""
    labels = np.zeros(shape, np.int32)
    for index, mask in enumerate(masks, start=1):
        labels[mask & (labels == 0)] = index
    if not labels.any():
        return labels
    _, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    return labels[iy, ix]


def _zoom_in(
    rgb: np.ndarray, mask: np.ndarray, territory: np.ndarray, first: np.ndarray, colours: np.ndarray | None, matte: Matte
) -> FoundObject | None:
    """The object from a second model pass on its own box, or ``None`` when the box is most of the
    image (the first pass already saw it at that scale)."""
    height, width = mask.shape
    x0, y0, x1, y1 = _box(mask)
    if (x1 - x0) * (y1 - y0) > ZOOM_MAX_SHARE * height * width:
        return None
    margin = max(4, round(ZOOM_MARGIN * max(x1 - x0, y1 - y0)))
    box = (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin))
    window = (slice(box[1], box[3]), slice(box[0], box[2]))
    local_alpha, local_colours = matte(Image.fromarray(np.ascontiguousarray(rgb[window])))
    local_alpha = np.asarray(local_alpha, np.float32)
    labels, _ = ndimage.label(local_alpha > 0.5, structure=EIGHT)
    touched = np.unique(labels[mask[window] & (labels > 0)])
    if len(touched) == 0:
        return None  # the model saw nothing here at close range: keep the first pass
    kept = np.isin(labels, touched)
    # soft edges of the kept components: pixels within a few px of them
    reach = max(2, round(0.02 * max(x1 - x0, y1 - y0)))
    near = cv2.dilate(kept.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)) > 0
    alpha = np.where(near & territory[window], local_alpha, 0.0).astype(np.float32)
    source = local_colours if local_colours is not None else colours[window] if colours is not None else None
    agreement = _iou(alpha > 0.5, (first[window] > 0.5) & territory[window])
    return _trimmed(box, alpha, source, agreement)


def _from_first_pass(mask: np.ndarray, territory: np.ndarray, alpha: np.ndarray, colours: np.ndarray | None) -> FoundObject:
    height, width = mask.shape
    x0, y0, x1, y1 = _box(mask)
    pad = max(2, round(0.02 * max(x1 - x0, y1 - y0)))  # room for the soft edge
    box = (max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad))
    window = (slice(box[1], box[3]), slice(box[0], box[2]))
    near = cv2.dilate(mask[window].astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pad + 1,) * 2)) > 0
    local = np.where(near & territory[window], alpha[window], 0.0).astype(np.float32)
    return _trimmed(box, local, colours[window] if colours is not None else None, 1.0)


def _trimmed(box: tuple[int, int, int, int], alpha: np.ndarray, colours: np.ndarray | None, agreement: float) -> FoundObject:
    """The object with its box shrunk to its non-zero alpha."""
    rows, cols = np.flatnonzero((alpha > 0).any(axis=1)), np.flatnonzero((alpha > 0).any(axis=0))
    if len(rows) == 0:
        return FoundObject(box, alpha, colours, 0, 0.0)
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    alpha = alpha[r0:r1, c0:c1]
    colours = colours[r0:r1, c0:c1] if colours is not None else None
    soft = alpha[alpha > 0.02]
    decided = float(np.abs(2.0 * soft - 1.0).mean()) if soft.size else 0.0
    trimmed = (int(box[0] + c0), int(box[1] + r0), int(box[0] + c1), int(box[1] + r1))
    return FoundObject(trimmed, np.ascontiguousarray(alpha), colours, int((alpha > 0.5).sum()), round(agreement * decided, 3))


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _edge(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, structure=EIGHT)


def _boxes_within(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int) -> bool:
    return a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]


def _inside_share(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> float:
    width = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    height = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return width * height / max(1, (inner[2] - inner[0]) * (inner[3] - inner[1]))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else 1.0
