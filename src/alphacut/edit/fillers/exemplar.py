"""Exemplar-based hole filling: multi-scale PatchMatch search with patch voting.

The hole is filled with patches copied from the rest of the image, as in Wexler, Shechtman and
Irani, "Space-Time Completion of Video" (PAMI 2007): an EM-like loop alternates (E) finding, for
every patch overlapping the hole, its nearest patch in the known region and (M) setting each hole
pixel to the weighted mean of the colours those matches propose for it. Nearest patches are found
with PatchMatch (Barnes, Shechtman, Finkelstein and Goldman, SIGGRAPH 2009): random guesses
improved by propagation from neighbours and a random search at shrinking radii. The loop runs
coarse to fine on an image pyramid so that structure larger than a patch is laid out first; the
coarsest level starts from an onion-peel fill (edge inwards, each pixel copied from the patch
that best matches its known neighbours), each finer one from the upsampled result and
nearest-neighbour field of the level below. Patches are compared on their colours and on a
blurred diffusion fill of the hole (a layout guide), and each pixel takes the similarity-weighted
mean of k matches per patch, so the fill is sharp where the surroundings predict it and tends to
the mean where they do not.

The inner loops are compiled with Numba (already a dependency of pymatting), so a hole of a few
hundred thousand pixels in a one-megapixel photo takes seconds on one core.
"""
from __future__ import annotations

import cv2
import numba
import numpy as np

from alphacut.edit.fillers.base import check_inputs
from alphacut.edit.fillers.diffusion import DiffusionFiller
from alphacut.edit.fillers.registry import register_filler
from alphacut.errors import InputError, OptionError

#: The coarsest level is filled by exhaustive search over at most this many (hole pixel, source
#: patch) pairs; sources are subsampled evenly beyond it.
ONION_BUDGET = 30_000_000

#: Levels with at most this many (target patch, source patch) pairs get an exact nearest-neighbour
#: search after PatchMatch: coarse levels decide the layout, and PatchMatch's few random samples
#: converge slowly where valid sources are fragmented.
EXHAUSTIVE_BUDGET = 3_000_000

#: Weight of a vote decays as GAMMA ** -(distance of the patch centre into the hole): patches near
#: the known boundary carry more reliable information (Wexler et al., section 3.2).
GAMMA = 1.3

#: Matches per patch that vote when repainting a hole from the photo itself.
DEFAULT_VOTES = 4

#: Blur (pixels at full size) of the diffusion fill used as guide channels.
GUIDE_SIGMA = 2.0


@register_filler("exemplar")
class ExemplarFiller:
    """PatchMatch + voting hole filler. A hole that leaves no whole patch of the image to copy
    from is an InputError that says so: the fill is never handed to another filler unannounced.

    Parameters
    ----------
    patch
        Patch side in pixels (odd).
    min_side
        The pyramid stops when the shorter image side would drop below this.
    em_iterations, pm_iterations
        EM steps per level (the coarsest gets two more) and PatchMatch sweeps per EM step.
    source
        Optional H' x W' x 3 uint8 image to take patches from instead of the image itself
        (texture synthesis: a new background made of a sample of wood, paper, fabric). It must
        hold at least one whole patch; the pyramid stops where a halved source would not.
    seed
        Random seed: the same inputs give the same output.
    reach
        Patches are taken from the hole's bounding box grown by ``reach`` x its larger side on
        every side (None: anywhere). Nearby content is the likeliest continuation; far-away
        look-alikes (a palm crown for a dark patch of sky) are the typical exemplar failure.
    thin
        The pyramid stops once the hole is at most ``thin`` x the patch radius thick.
    votes
        Matches kept per target patch (k-NN field), all voting with Wexler's similarity weight
        exp(-d / 2 sigma^2). 1 copies the single best match (sharpest); k > 1 gives a weighted
        mean of k candidates, which stays sharp where they agree (predictable texture) and tends
        to the conditional mean where they do not (content the rest of the photo cannot predict).
        Costs about 2-3x the time at k = 4. Default: DEFAULT_VOTES when filling a hole from the
        photo itself, 1 when synthesising from an external ``source`` (a sample's texture should
        be copied, not averaged).
    guide
        Weight of the layout guide in the patch distance (0: colours only). The guide is the
        photo with its hole filled by Navier-Stokes diffusion and blurred; matching on it too
        makes the fill follow the layout the hole's surroundings predict (sky stays sky near the
        top, a wall keeps its brightness) while its texture still comes from copied patches.
        Without it a look-alike boundary patch can pull in a whole foreign object (a person, a
        lawn) that pixel metrics and eyes both reject. As in the guidance channels of Hertzmann
        et al., "Image Analogies" (SIGGRAPH 2001). Ignored with an external ``source``.
    """

    name = "exemplar"

    def __init__(
        self,
        patch: int = 7,
        min_side: int = 32,
        em_iterations: int = 3,
        pm_iterations: int = 3,
        source: np.ndarray | None = None,
        seed: int = 0,
        reach: float | None = 1.0,
        thin: float = 1.0,
        votes: int | None = None,
        guide: float = 1.0,
    ):
        if patch < 3 or patch % 2 == 0:
            raise OptionError(f"exemplar patch must be an odd size >= 3, not {patch!r}")
        if votes is None:
            votes = 1 if source is not None else DEFAULT_VOTES
        if votes < 1:
            raise OptionError(f"exemplar votes must be >= 1, not {votes!r}")
        if guide < 0:
            raise OptionError(f"exemplar guide must be >= 0, not {guide!r}")
        if source is not None:
            source = np.asarray(source)
            if source.dtype != np.uint8 or source.ndim != 3 or source.shape[2] < 3:
                raise InputError(f"a texture must be H x W x 3 uint8 RGB, got {source.dtype} {source.shape}")
            if min(source.shape[:2]) < patch:
                raise InputError(f"the texture is {source.shape[1]}x{source.shape[0]} px; the exemplar filler "
                                 f"needs at least {patch}x{patch} (one whole patch) to copy from")
        self.votes = votes
        self.guide = guide
        self.radius = patch // 2
        self.min_side = max(min_side, 2 * patch + 1)
        self.em_iterations = em_iterations
        self.pm_iterations = pm_iterations
        self.source = None if source is None else np.ascontiguousarray(source[..., :3])
        self.seed = seed
        self.reach = reach
        self.thin = thin

    def fill(self, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        rgb, hole = check_inputs(rgb, hole)
        if not hole.any():
            return rgb.copy()
        work = rgb.astype(np.float32)
        if self.guide > 0 and self.source is None:
            work = np.concatenate([work, np.sqrt(self.guide) * _layout(rgb, hole)], axis=2)
        max_levels = None if self.source is None else _levels_within(self.source.shape[:2], 2 * self.radius + 1)
        images, holes = _pyramid(work, hole, self.min_side, self.radius, self.source is not None, self.thin, max_levels)
        sources = _source_pyramid(self.source, len(images)) if self.source is not None else None
        current = None
        nnf = None
        levels = len(images)
        pad = self.radius  # patches may reach past the border into a reflection of the image
        for level in range(levels - 1, -1, -1):
            image, level_hole = _pad(images[level], pad), _pad(holes[level].astype(np.uint8), pad) > 0
            source = _pad(sources[level], pad) if sources is not None else image
            valid = _valid_sources(level_hole if sources is None else None, source.shape[:2], self.radius)
            if sources is None and self.reach is not None:
                nearby = valid & _near(level_hole, self.reach)
                if nearby.sum() >= 4 * (2 * self.radius + 1) ** 2:
                    valid = nearby
            if not valid.any():  # only at full size: coarser levels are made only while sources remain
                side = 2 * self.radius + 1
                raise InputError(f"the exemplar filler found no {side}x{side} patch outside the hole to copy "
                                 f"from: the hole leaves too little of the {rgb.shape[1]}x{rgb.shape[0]} image; "
                                 "use a smaller mask or a diffusion filler (telea, ns)")
            if current is None:
                if sources is None:
                    _onion_peel(image, level_hole, *_subsample(valid, ONION_BUDGET // max(1, int(level_hole.sum()))),
                                self.radius)
            else:
                inner = current[pad:-pad, pad:-pad]
                size = (images[level].shape[1], images[level].shape[0])
                upsampled = _pad(_resize(inner[..., :3], size, cv2.INTER_LINEAR), pad)
                image[..., :3][level_hole] = upsampled[level_hole]
            targets = _targets(level_hole, self.radius)
            ty, tx = np.nonzero(targets)
            ty, tx = ty.astype(np.int32), tx.astype(np.int32)
            vy, vx = np.nonzero(valid)
            vy, vx = vy.astype(np.int32), vx.astype(np.int32)
            nny = np.zeros(level_hole.shape + (self.votes,), np.int32)
            nnx = np.zeros(level_hole.shape + (self.votes,), np.int32)
            if nnf is None:
                coarse_y = coarse_x = np.zeros((1, 1, self.votes), np.int32)
                coarse_targets = np.zeros((1, 1), np.bool_)
            else:
                coarse_y, coarse_x, coarse_targets = nnf
            _init_nnf(ty, tx, nny, nnx, coarse_y, coarse_x, coarse_targets, valid, vy, vx, pad, self.seed + level)
            if current is not None or sources is not None:
                # detail comes from copying the fine source through the upsampled matches, not
                # from interpolating the coarse result (which would start every level blurred)
                _vote(image, source, level_hole, ty, tx, nny, nnx, np.zeros(nny.shape, np.float32),
                      np.ones(level_hole.shape, np.float32), self.radius, 1.0, True)
            confidence = _confidence(level_hole)
            em = self.em_iterations + (2 if level == levels - 1 else 0)
            distance = np.zeros(nny.shape, np.float32)
            exhaustive = ty.size * vy.size <= EXHAUSTIVE_BUDGET
            for step in range(em):
                _patchmatch(image, source, valid, targets, ty, tx, nny, nnx, distance, self.radius,
                            self.pm_iterations, vy, vx, self.seed + 1000 * level + step)
                if exhaustive:
                    _exhaustive(image, source, ty, tx, vy, vx, nny, nnx, distance, self.radius)
                per_value = distance[ty, tx].ravel() / (3.0 * (2 * self.radius + 1) ** 2)
                sigma2 = max(float(np.percentile(per_value, 75)), 1e-3)
                _vote(image, source, level_hole, ty, tx, nny, nnx, distance, confidence, self.radius, sigma2, False)
            current = image
            nnf = (nny, nnx, targets)
        out = rgb.copy()
        out[hole] = np.clip(np.rint(current[pad:-pad, pad:-pad, :3][hole]), 0, 255).astype(np.uint8)
        return out


def _pad(values: np.ndarray, pad: int) -> np.ndarray:
    return cv2.copyMakeBorder(values, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)


def _subsample(valid: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    vy, vx = np.nonzero(valid)
    step = max(1, int(np.ceil(vy.size / max(1, count))))
    return vy[::step].astype(np.int32), vx[::step].astype(np.int32)


def _onion_peel(image: np.ndarray, hole: np.ndarray, vy: np.ndarray, vx: np.ndarray, radius: int) -> None:
    """Fill ``hole`` from its edge inwards, each pixel copied from the centre of the source patch
    that best matches its already-known neighbours (exhaustive search): the starting guess of the
    coarsest level, which decides what goes where (a Telea smear there settles on the wrong content)."""
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    ys, xs = np.nonzero(hole)
    order = np.argsort(depth[ys, xs], kind="stable")
    _peel(image, ~hole, ys[order].astype(np.int32), xs[order].astype(np.int32), vy, vx, radius)


@numba.njit(cache=True, nogil=True)
def _peel(image, known, ys, xs, vy, vx, radius):
    height, width = known.shape
    for k in range(ys.shape[0]):
        y, x = ys[k], xs[k]
        best = np.inf
        bi = 0
        for s in range(vy.shape[0]):
            sy, sx = vy[s], vx[s]
            total = 0.0
            for dy in range(-radius, radius + 1):
                ty = y + dy
                if ty < 0 or ty >= height:
                    continue
                for dx in range(-radius, radius + 1):
                    tx = x + dx
                    if tx < 0 or tx >= width or not known[ty, tx]:
                        continue
                    for c in range(image.shape[2]):
                        diff = image[ty, tx, c] - image[sy + dy, sx + dx, c]
                        total += diff * diff
                if total >= best:
                    break
            if total < best:
                best = total
                bi = s
        for c in range(3):
            image[y, x, c] = image[vy[bi], vx[bi], c]
        known[y, x] = True


def _layout(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Guide channels: the photo with its hole filled by Navier-Stokes diffusion (Bertalmio,
    Bertozzi and Sapiro, CVPR 2001), which carries edges into the hole along isophotes, low-passed
    so that patches are compared on coarse layout, not on detail the diffusion cannot know."""
    diffused = DiffusionFiller("ns").fill(rgb, hole)
    return cv2.GaussianBlur(diffused.astype(np.float32), (0, 0), GUIDE_SIGMA)


def _resize(values: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """cv2.resize for any number of channels (OpenCV's area resize takes at most four)."""
    if values.ndim == 2 or values.shape[2] <= 4:
        return cv2.resize(values, size, interpolation=interpolation)
    parts = [cv2.resize(np.ascontiguousarray(values[..., c:c + 3]), size, interpolation=interpolation)
             for c in range(0, values.shape[2], 3)]
    return np.concatenate([p if p.ndim == 3 else p[..., None] for p in parts], axis=2)


def _half(shape: tuple[int, int]) -> tuple[int, int]:
    return (shape[1] + 1) // 2, (shape[0] + 1) // 2  # cv2 (width, height)


def _levels_within(shape: tuple[int, int], side: int) -> int:
    """How many pyramid levels (full size included) an external source keeps at least one whole
    ``side`` x ``side`` patch: a coarser level would copy only the source's reflected border."""
    levels, (height, width) = 1, shape
    while min((height + 1) // 2, (width + 1) // 2) >= side:
        levels, height, width = levels + 1, (height + 1) // 2, (width + 1) // 2
    return levels


def _pyramid(image: np.ndarray, hole: np.ndarray, min_side: int, radius: int, external: bool, thin: float = 1.0,
             max_levels: int | None = None):
    """Images and holes from fine (index 0) to coarse; a coarse pixel is hole if any of its fine
    pixels is. Stops when the image gets small, the hole gets thin, too little source is left, or
    at ``max_levels``."""
    images, holes = [image], [hole]
    while max_levels is None or len(images) < max_levels:
        current_hole = holes[-1]
        height, width = current_hole.shape
        if min(height, width) // 2 < min_side:
            break
        thickness = cv2.distanceTransform(current_hole.astype(np.uint8), cv2.DIST_L2, 3).max()
        if thickness <= thin * radius:
            break
        size = _half(current_hole.shape)
        smaller_hole = cv2.resize(current_hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0
        if not external and _valid_sources(smaller_hole, smaller_hole.shape, radius).sum() < 4 * (2 * radius + 1) ** 2:
            break
        images.append(_resize(images[-1], size, cv2.INTER_AREA))
        holes.append(smaller_hole)
    return images, holes


def _source_pyramid(source: np.ndarray, levels: int) -> list[np.ndarray]:
    pyramid = [source.astype(np.float32)]
    for _ in range(levels - 1):
        pyramid.append(cv2.resize(pyramid[-1], _half(pyramid[-1].shape[:2]), interpolation=cv2.INTER_AREA))
    return pyramid


def _valid_sources(hole: np.ndarray | None, shape: tuple[int, int], radius: int) -> np.ndarray:
    """Centres of patches that lie inside the image and touch no hole pixel."""
    valid = np.zeros(shape, np.bool_)
    height, width = shape
    if height <= 2 * radius or width <= 2 * radius:
        return valid
    valid[radius:height - radius, radius:width - radius] = True
    if hole is not None:
        side = 2 * radius + 1
        grown = cv2.dilate(hole.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
        valid &= ~grown
    return valid


def _near(hole: np.ndarray, reach: float) -> np.ndarray:
    """The hole's bounding box grown by ``reach`` x its larger side on every side."""
    rows, cols = np.flatnonzero(hole.any(axis=1)), np.flatnonzero(hole.any(axis=0))
    grow_by = int(np.ceil(reach * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)))
    near = np.zeros(hole.shape, np.bool_)
    near[max(0, rows[0] - grow_by):rows[-1] + 1 + grow_by, max(0, cols[0] - grow_by):cols[-1] + 1 + grow_by] = True
    return near


def _targets(hole: np.ndarray, radius: int) -> np.ndarray:
    """Centres of patches that overlap the hole: the patches whose matches are searched."""
    side = 2 * radius + 1
    return cv2.dilate(hole.astype(np.uint8), np.ones((side, side), np.uint8)) > 0


def _confidence(hole: np.ndarray) -> np.ndarray:
    depth = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    return np.power(GAMMA, -depth).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def _distance(image, source, ty, tx, sy, sx, radius, limit):
    """Sum of squared differences between the patch at (ty, tx) of ``image`` and at (sy, sx) of
    ``source``, skipping target pixels outside the image; stops early once above ``limit``."""
    height, width = image.shape[0], image.shape[1]
    total = 0.0
    for dy in range(-radius, radius + 1):
        y = ty + dy
        if y < 0 or y >= height:
            continue
        for dx in range(-radius, radius + 1):
            x = tx + dx
            if x < 0 or x >= width:
                continue
            for c in range(image.shape[2]):
                diff = image[y, x, c] - source[sy + dy, sx + dx, c]
                total += diff * diff
        if total > limit:
            return total
    return total


@numba.njit(cache=True, nogil=True)
def _init_nnf(ty, tx, nny, nnx, coarse_y, coarse_x, coarse_targets, valid, vy, vx, pad, seed):
    """Start each target's matches from the upsampled coarse ones where there are some, else at
    random (the matches of one target are kept distinct)."""
    np.random.seed(seed)
    ch, cw = coarse_targets.shape
    sh, sw = valid.shape
    count = vy.shape[0]
    votes = nny.shape[2]
    use_coarse = ch > 1
    for k in range(ty.shape[0]):
        y, x = ty[k], tx[k]
        for j in range(votes):
            placed = False
            if use_coarse:
                # coordinates are padded by `pad` at both levels
                hy, hx = (y - pad) // 2, (x - pad) // 2
                cy, cx = min(max(hy + pad, 0), ch - 1), min(max(hx + pad, 0), cw - 1)
                if coarse_targets[cy, cx]:
                    sy = 2 * (coarse_y[cy, cx, j] - pad) + (y - pad - 2 * hy) + pad
                    sx = 2 * (coarse_x[cy, cx, j] - pad) + (x - pad - 2 * hx) + pad
                    if 0 <= sy < sh and 0 <= sx < sw and valid[sy, sx] and not _listed(nny, nnx, y, x, j, sy, sx):
                        nny[y, x, j], nnx[y, x, j] = sy, sx
                        placed = True
            tries = 0
            while not placed:
                pick = np.random.randint(0, count)
                tries += 1
                if tries > 20 or not _listed(nny, nnx, y, x, j, vy[pick], vx[pick]):
                    nny[y, x, j], nnx[y, x, j] = vy[pick], vx[pick]
                    placed = True


@numba.njit(cache=True, nogil=True)
def _listed(nny, nnx, y, x, upto, sy, sx):
    """Whether (sy, sx) is among the first ``upto`` matches of target (y, x)."""
    for j in range(upto):
        if nny[y, x, j] == sy and nnx[y, x, j] == sx:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _worst(distance, y, x):
    worst = 0
    for j in range(1, distance.shape[2]):
        if distance[y, x, j] > distance[y, x, worst]:
            worst = j
    return worst


@numba.njit(cache=True, nogil=True)
def _offer(image, source, nny, nnx, distance, y, x, cy, cx, radius, worst):
    """Put match (cy, cx) in place of target (y, x)'s worst one if it is closer and not listed
    yet; returns the index of the (new) worst match."""
    votes = nny.shape[2]
    limit = distance[y, x, worst]
    if _listed(nny, nnx, y, x, votes, cy, cx):
        return worst
    d = _distance(image, source, y, x, cy, cx, radius, limit)
    if d >= limit:
        return worst
    nny[y, x, worst], nnx[y, x, worst], distance[y, x, worst] = cy, cx, d
    return _worst(distance, y, x)


@numba.njit(cache=True, nogil=True)
def _patchmatch(image, source, valid, targets, ty, tx, nny, nnx, distance, radius, iterations, vy, vx, seed):
    """Improve the k-nearest-neighbour field in place (Barnes et al. 2009, and its k-NN variant in
    "The Generalized PatchMatch Correspondence Algorithm", ECCV 2010): sweeps alternate direction;
    each target is offered its neighbours' shifted matches, then random ones around one of its
    matches (each in turn) at radii halving from the whole source, plus two uniform draws among valid sources."""
    np.random.seed(seed)
    height, width = targets.shape
    sh, sw = valid.shape
    count = ty.shape[0]
    votes = nny.shape[2]
    for k in range(count):
        y, x = ty[k], tx[k]
        for j in range(votes):
            distance[y, x, j] = _distance(image, source, y, x, nny[y, x, j], nnx[y, x, j], radius, np.inf)
    for iteration in range(iterations):
        step = 1 if iteration % 2 == 0 else -1
        for j in range(count):
            k = j if step == 1 else count - 1 - j
            y, x = ty[k], tx[k]
            worst = _worst(distance, y, x)
            for n in range(2):
                ny = y - step if n == 0 else y
                nx = x if n == 0 else x - step
                if ny < 0 or ny >= height or nx < 0 or nx >= width or not targets[ny, nx]:
                    continue
                for v in range(votes):
                    cy = nny[ny, nx, v] + (y - ny)
                    cx = nnx[ny, nx, v] + (x - nx)
                    if cy < 0 or cy >= sh or cx < 0 or cx >= sw or not valid[cy, cx]:
                        continue
                    worst = _offer(image, source, nny, nnx, distance, y, x, cy, cx, radius, worst)
            for v in range(votes):
                if v != (k + iteration) % votes:
                    continue  # one random search per target and sweep, around each match in turn
                search = max(sh, sw)
                while search >= 1:
                    # around the match in slot v, which moves whenever a closer one replaces it
                    cy = nny[y, x, v] + np.random.randint(-search, search + 1)
                    cx = nnx[y, x, v] + np.random.randint(-search, search + 1)
                    if 0 <= cy < sh and 0 <= cx < sw and valid[cy, cx]:
                        worst = _offer(image, source, nny, nnx, distance, y, x, cy, cx, radius, worst)
                    search //= 2
            for _ in range(2):
                pick = np.random.randint(0, vy.shape[0])
                worst = _offer(image, source, nny, nnx, distance, y, x, vy[pick], vx[pick], radius, worst)


@numba.njit(cache=True, nogil=True)
def _exhaustive(image, source, ty, tx, vy, vx, nny, nnx, distance, radius):
    """Exact k nearest neighbours (improves on the current field; early termination keeps it cheap)."""
    for k in range(ty.shape[0]):
        y, x = ty[k], tx[k]
        worst = _worst(distance, y, x)
        for s in range(vy.shape[0]):
            worst = _offer(image, source, nny, nnx, distance, y, x, vy[s], vx[s], radius, worst)


@numba.njit(cache=True, nogil=True)
def _vote(image, source, hole, ty, tx, nny, nnx, distance, confidence, radius, sigma2, uniform):
    """Set every hole pixel to the weighted mean of the colours its overlapping patches' matches
    give it; weight = exp(-mean squared error / 2 sigma^2) x confidence of the patch centre."""
    height, width = hole.shape
    side = 2 * radius + 1
    total = np.zeros((height, width, 3), np.float64)
    weights = np.zeros((height, width), np.float64)
    for k in range(ty.shape[0] * nny.shape[2]):
        y, x, j = ty[k // nny.shape[2]], tx[k // nny.shape[2]], k % nny.shape[2]
        sy, sx = nny[y, x, j], nnx[y, x, j]
        if uniform:
            w = 1.0
        else:
            w = np.exp(-distance[y, x, j] / (3.0 * side * side) / (2.0 * sigma2)) * confidence[y, x] + 1e-12
        for dy in range(-radius, radius + 1):
            py = y + dy
            if py < 0 or py >= height:
                continue
            for dx in range(-radius, radius + 1):
                px = x + dx
                if px < 0 or px >= width or not hole[py, px]:
                    continue
                for c in range(3):
                    total[py, px, c] += w * source[sy + dy, sx + dx, c]
                weights[py, px] += w
    for y in range(height):
        for x in range(width):
            if hole[y, x] and weights[y, x] > 0:
                for c in range(3):
                    image[y, x, c] = total[y, x, c] / weights[y, x]
