"""A subject on a new scene: background (colour, image or blurred original), layout, shadow,
colour harmonisation, then straight-alpha blending of the decontaminated foreground.

out_alpha = a + b_alpha (1 - a);  out = (a F + (1 - a) b_alpha B) / out_alpha

with F the foreground colours (decontaminated at soft edges, so no old background shows
through), a the subject's alpha and B the background after the shadow is cast on it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from alphacut.compose import layouts
from alphacut.compose.background import Color, fit_background
from alphacut.compose.blur import MAX_SIGMA, blurred_backdrop
from alphacut.compose.harmonize import harmonize
from alphacut.compose.shadow import shadow_for
from alphacut.errors import OptionError

ECOMMERCE_SIZE = 2000
WHITE: Color = (255, 255, 255, 255)


@dataclass(frozen=True)
class Scene:
    """What to put behind the subject and how to frame it.

    color, image, fit, blur
        The background: a colour, an image (``fill``, ``fit`` or ``stretch``) or the original
        photo without the subject, blurred by ``blur`` px (sigma). None of them: transparent.
    layout, size, margin
        ``ecommerce``: square canvas of ``size`` px (default 2000), subject centred with ``margin``
        (fraction of the side) of air, white unless a background is given. ``id-photo``:
        head-and-shoulders on a plain colour (white by default), ``size`` (w, h) default 413 x 531.
    position, height
        Place the subject on the background image's own canvas: its bottom centre at ``position``
        (fractions of the canvas) and its height ``height`` x the canvas height.
    shadow, shadow_opacity
        ``drop`` or ``contact``.
    harmonize
        0 (off) to 1: move the subject's colour statistics towards the background's near the edge.
    """

    color: Color | None = None
    image: Image.Image | None = None
    fit: str = "fill"
    blur: float | None = None
    layout: str | None = None
    size: tuple[int, int] | None = None
    margin: float = 0.08
    position: tuple[float, float] | None = None
    height: float | None = None
    shadow: str | None = None
    shadow_opacity: float | None = None
    harmonize: float = 0.0

    def __post_init__(self):
        if self.layout is not None and self.layout not in layouts.LAYOUTS:
            raise OptionError(f"unknown layout {self.layout!r}; use {' or '.join(layouts.LAYOUTS)}")
        if self.color is not None and self.image is not None:
            raise OptionError("give one background: a colour or an image, not both")
        if (self.position is not None or self.height is not None) and self.layout is not None:
            raise OptionError("--position/--scale place the subject freely; they do not mix with a layout")
        if not 0.0 <= self.harmonize <= 1.0:
            raise OptionError(f"harmonize strength must be between 0 and 1, not {self.harmonize}")
        if not 0.0 <= self.margin < 0.5:
            raise OptionError(f"margin must be a fraction between 0 and 0.5, not {self.margin}")
        if self.blur is not None and not (math.isfinite(self.blur) and 0.5 <= self.blur <= MAX_SIGMA):
            raise OptionError(f"blur must be a sigma from 0.5 to {MAX_SIGMA:g} px, not {self.blur}")
        if self.position is not None and not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in self.position):
            raise OptionError(f"position must be two fractions of the canvas between 0 and 1, not {self.position}")

    @property
    def opaque(self) -> bool:
        """Whether every output pixel is opaque (JPEG can hold the result)."""
        if self.image is not None:
            return self.fit != "fit"
        if self.color is not None:
            return self.color[3] == 255
        return self.blur is not None or self.layout is not None


def compose_scene(foreground: Image.Image | np.ndarray, alpha: np.ndarray, scene: Scene,
                  original: Image.Image | np.ndarray | None = None) -> Image.Image:
    """The subject of ``foreground`` (RGB, decontaminated colours) and ``alpha`` (uint8) on ``scene``.
    ``original`` (the photo, defaults to ``foreground``) gives the blurred background and the face."""
    fg = np.asarray(foreground.convert("RGB") if isinstance(foreground, Image.Image) else foreground, np.float32)
    photo = np.asarray(original.convert("RGB") if isinstance(original, Image.Image) else original) \
        if original is not None else fg.astype(np.uint8)
    height, width = alpha.shape
    placement, canvas = _placement(scene, photo, alpha, (width, height))
    bg_rgb, bg_a = _background(scene, photo, alpha, canvas, placement)
    if placement is not None:
        fg, a = layouts.apply(placement, fg, alpha, canvas)
    else:
        a = alpha.astype(np.float32) / 255.0
    if scene.shadow is not None:
        s = shadow_for(scene.shadow, a, scene.shadow_opacity)
        new_a = bg_a + s * (1.0 - bg_a)
        bg_rgb = (bg_rgb * (bg_a * (1.0 - s))[..., None]) / np.maximum(new_a, 1e-6)[..., None]  # shadow colour: black
        bg_a = new_a
    if scene.harmonize > 0 and bg_a.min() > 0.99:
        fg = harmonize(fg, a, bg_rgb, scene.harmonize)
    out_a = a + bg_a * (1.0 - a)
    out = (a[..., None] * fg + ((1.0 - a) * bg_a)[..., None] * bg_rgb) / np.maximum(out_a, 1e-6)[..., None]
    rgb = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if out_a.min() >= 1.0 - 1e-4:
        return Image.fromarray(rgb, "RGB")
    return Image.fromarray(np.dstack([rgb, np.clip(np.rint(out_a * 255), 0, 255).astype(np.uint8)]), "RGBA")


def _placement(scene: Scene, photo: np.ndarray, alpha: np.ndarray, frame: tuple[int, int]):
    if scene.layout == "ecommerce":
        side = scene.size or (ECOMMERCE_SIZE, ECOMMERCE_SIZE)
        return layouts.centred(alpha, side, scene.margin), side
    if scene.layout == "id-photo":
        size = scene.size or layouts.ID_PHOTO_SIZE
        return layouts.id_photo(photo, alpha, size), size
    if scene.position is not None or scene.height is not None:
        canvas = scene.size or (scene.image.size if scene.image is not None else frame)
        left, top, right, bottom = layouts.subject_box(alpha)
        natural = (bottom - top) / frame[1]
        return layouts.placed(alpha, canvas, scene.position or (0.5, min(1.0, 0.5 + natural / 2)),
                              scene.height or natural), canvas
    if scene.size is not None and scene.size != frame:
        return layouts.centred(alpha, scene.size, scene.margin), scene.size
    return None, frame


def _background(scene: Scene, photo: np.ndarray, alpha: np.ndarray, canvas: tuple[int, int], placement):
    width, height = canvas
    if scene.image is not None:
        fitted = np.asarray(fit_background(scene.image, canvas, scene.fit), np.float32)
        return fitted[..., :3], fitted[..., 3] / 255.0
    if scene.blur is not None:
        backdrop = blurred_backdrop(photo, alpha, scene.blur)
        if placement is not None:
            matrix = np.float32([[placement.scale, 0, placement.offset[0]], [0, placement.scale, placement.offset[1]]])
            backdrop = cv2.warpAffine(backdrop, matrix, canvas, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return backdrop, np.ones((height, width), np.float32)
    color = scene.color
    if color is None and scene.layout is not None:
        color = WHITE
    if color is None:
        return np.zeros((height, width, 3), np.float32), np.zeros((height, width), np.float32)
    rgb = np.empty((height, width, 3), np.float32)
    rgb[:] = color[:3]
    return rgb, np.full((height, width), color[3] / 255.0, np.float32)


def scene_for_remove(*, bg_color: Color | None, bg_image: Image.Image | None, bg_fit: str, blur: float | None,
                     shadow: str | None, harmonize: float | None, ecommerce: int | None) -> Scene | None:
    """The :class:`Scene` that ``remove``'s scene options ask for, or None when they are all unset
    (the plain ``--bg``/``--bg-image`` path is then used as before)."""
    if blur is None and shadow is None and not harmonize and ecommerce is None:
        return None
    return Scene(
        color=bg_color, image=bg_image, fit=bg_fit, blur=blur, shadow=shadow, harmonize=harmonize or 0.0,
        layout="ecommerce" if ecommerce else None, size=(ecommerce, ecommerce) if ecommerce else None,
    )
