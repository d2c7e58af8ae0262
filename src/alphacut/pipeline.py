"""The remove pipeline: predict -> alpha -> compose, for every frame of a decoded image."""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from alphacut.compose.background import Color, on_color, on_image
from alphacut.compose.crop import crop_box, union_box
from alphacut.compose.cutout import cutout, mask_image
from alphacut.io.decode import DecodedImage
from alphacut.models.session import SalientSession
from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha


@dataclass(frozen=True)
class RemoveOptions:
    """What to make of the alpha: a cutout (default), the mask alone, or the subject on a new
    background; optionally cropped to the subject with a margin in pixels."""

    mask: bool = False
    bg_color: Color | None = None
    bg_image: Image.Image | None = None
    bg_fit: str = "fill"
    crop: bool = False
    margin: int = 0

    @property
    def has_transparency(self) -> bool:
        if self.mask:
            return False
        if self.bg_color is not None:
            return self.bg_color[3] < 255
        return self.bg_image is None or self.bg_fit == "fit"


class Remover:
    """Applies a session and :class:`RemoveOptions` to images; safe to share across threads."""

    def __init__(self, session: SalientSession, options: RemoveOptions | None = None):
        self.session = session
        self.options = options or RemoveOptions()

    def alpha(self, image: Image.Image):
        return alpha_to_uint8(apply_source_alpha(self.session.predict(image), image))

    def process(self, decoded: DecodedImage) -> list[Image.Image]:
        """Every frame's result; an animation is cropped to one box so its frames stay aligned."""
        alphas = [self.alpha(frame.image) for frame in decoded.frames]
        box = union_box([crop_box(a, self.options.margin) for a in alphas]) if self.options.crop else None
        return [self.compose(frame.image, alpha, box) for frame, alpha in zip(decoded.frames, alphas)]

    def compose(self, image: Image.Image, alpha, box=None) -> Image.Image:
        options = self.options
        if options.mask:
            result = mask_image(alpha)
        else:
            result = cutout(image, alpha)
            if options.bg_color is not None:
                result = on_color(result, options.bg_color)
            elif options.bg_image is not None:
                result = on_image(result, options.bg_image, options.bg_fit)
        return result.crop(box) if box is not None else result
