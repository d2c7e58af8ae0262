"""The remove pipeline: predict -> refine -> compose, for every frame of a decoded image."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from alphacut.compose.background import Color, on_color, on_image
from alphacut.compose.crop import crop_box, union_box
from alphacut.compose.cutout import cutout, mask_image
from alphacut.compose.scene import Scene, compose_scene
from alphacut.io.decode import DecodedImage
from alphacut.models.session import SalientSession
from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha
from alphacut.refine.hints import Hints, parse_hints
from alphacut.refine.presets import DEFAULT_PRESET, RefineSettings, get_preset
from alphacut.refine.refiner import refine, settings_for


@dataclass(frozen=True)
class RemoveOptions:
    """What to make of the image: a cutout (default), the mask alone, or the subject on a new
    background; optionally cropped to the subject with a margin in pixels.

    ``preset`` names the refinement (``auto`` decides per image); ``threshold`` binarises alpha,
    ``keep_soft`` keeps soft alpha even in presets that binarise; ``main_subject`` drops bystanders;
    ``decontaminate`` (default on) removes the old background's colour from soft edges; ``tta``
    averages the model over 1, 2 or 4 input variants (more model runs, steadier masks).
    """

    mask: bool = False
    bg_color: Color | None = None
    bg_image: Image.Image | None = None
    bg_fit: str = "fill"
    crop: bool = False
    margin: int = 0
    preset: str = DEFAULT_PRESET
    threshold: float | None = None
    keep_soft: bool = False
    main_subject: bool = False
    decontaminate: bool | None = None
    matting: str | None = None
    tta: int | None = None
    scene: "Scene | None" = None  # shadow, harmonisation, blurred original, layouts (compose.scene)

    @property
    def has_transparency(self) -> bool:
        if self.mask:
            return False
        if self.scene is not None:
            return not self.scene.opaque
        if self.bg_color is not None:
            return self.bg_color[3] < 255
        return self.bg_image is None or self.bg_fit == "fit"

    def settings(self, rgb: np.ndarray) -> RefineSettings:
        """The refinement for one image: the preset (auto: chosen from the image) plus overrides."""
        chosen = settings_for(rgb, get_preset(self.preset))
        overrides: dict = {}
        if self.keep_soft:
            overrides["threshold"] = None
        if self.threshold is not None:
            overrides["threshold"] = self.threshold
        if self.main_subject:
            overrides["main_subject"] = True
        if self.decontaminate is not None:
            overrides["decontaminate"] = self.decontaminate
        if self.matting is not None:
            overrides["matting"] = self.matting
        if self.tta is not None:
            overrides["tta"] = self.tta
        if self.keep_soft and chosen.matting == "none" and "matting" not in overrides and not chosen.pixel_art:
            overrides["matting"] = "guided"
        return chosen.with_options(**overrides) if overrides else chosen


class Remover:
    """Applies a session and :class:`RemoveOptions` to images; safe to share across threads."""

    def __init__(self, session: SalientSession, options: RemoveOptions | None = None):
        self.session = session
        self.options = options or RemoveOptions()
        get_preset(self.options.preset)  # an unknown preset fails here, before any work

    def refine(
        self, image: Image.Image, hints: Hints | None = None, predicted: dict | None = None
    ) -> tuple[np.ndarray, Image.Image]:
        """uint8 alpha and the colours to show (decontaminated at soft edges) for one frame.

        ``hints`` force user-marked pixels to foreground or background. ``predicted`` maps
        ``id(frame image)`` to the model's alpha computed earlier in a batch; it is used (and
        removed) for that image, every other model input runs as usual."""
        settings = self.options.settings(np.asarray(image if image.mode == "RGB" else image.convert("RGB")))

        def predict(source: Image.Image) -> np.ndarray:
            if predicted is not None and id(source) in predicted:
                return predicted.pop(id(source))
            return self.session.predict(source)

        refined = refine(image, predict, settings, model_side=max(self.session.spec.input_size), hints=hints)
        alpha = alpha_to_uint8(apply_source_alpha(refined.alpha, image))
        colours = Image.fromarray(refined.rgb) if refined.rgb is not None else image
        return alpha, colours

    def process(
        self, decoded: DecodedImage, hints: Image.Image | None = None, predicted: dict | None = None
    ) -> list[Image.Image]:
        """Every frame's result; an animation is cropped to one box so its frames stay aligned.

        ``hints`` is an optional keep/remove stroke image (see :mod:`alphacut.refine.hints`),
        scaled to the frame size and applied to every frame; ``predicted`` as in :meth:`refine`."""
        parsed = parse_hints(hints, decoded.size) if hints is not None else None
        refined = [self.refine(frame.image, parsed, predicted) for frame in decoded.frames]
        box = union_box([crop_box(a, self.options.margin) for a, _ in refined]) if self.options.crop else None
        return [self.compose(colours, alpha, box) for alpha, colours in refined]

    def compose(self, image: Image.Image, alpha: np.ndarray, box=None) -> Image.Image:
        options = self.options
        if options.mask:
            result = mask_image(alpha)
        else:
            result = cutout(image, alpha)
            if options.scene is not None:
                result = compose_scene(image, alpha, options.scene)
                box = None if options.scene.layout else box
            elif options.bg_color is not None:
                result = on_color(result, options.bg_color)
            elif options.bg_image is not None:
                result = on_image(result, options.bg_image, options.bg_fit)
        return result.crop(box) if box is not None else result
