"""Applies a session and :class:`RemoveOptions` to decoded images: predict -> refine -> compose,
for every frame, one frame at a time (:meth:`Remover.results`), so an animation read as a stream
is never held whole."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Iterator, Sequence

import numpy as np
from PIL import Image

from alphacut.compose.background import on_color, on_image
from alphacut.compose.crop import crop_box, union_box
from alphacut.compose.cutout import cutout, mask_image
from alphacut.compose.scene import compose_scene
from alphacut.io.decode import Decoded, Frame
from alphacut.models.session import SalientSession
from alphacut.pipeline.options import RemoveOptions
from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha
from alphacut.refine.hints import Hints, parse_hints
from alphacut.refine.presets import RefineSettings
from alphacut.refine.refiner import KnownPrediction, Predict, refine


def wants_float_form(settings: RefineSettings) -> bool:
    """Whether images refined with ``settings`` run the model's float form where an int8 form is
    loaded: an int8 form flips some graphics' and pixel art's masks (BENCHMARKS.md §8b)."""
    return bool(settings.flat_background or settings.pixel_art)


@dataclass
class Matte:
    """One frame's refined result: uint8 alpha, the colours to show (decontaminated at soft edges)
    and the seconds each stage took."""

    alpha: np.ndarray
    colours: Image.Image
    timings: dict[str, float] = field(default_factory=dict)


class Remover:
    """Applies a session and :class:`RemoveOptions` to images; safe to share across threads."""

    def __init__(self, session: SalientSession, options: RemoveOptions | None = None):
        self.session = session
        self.options = options or RemoveOptions()

    def matte(self, image: Image.Image, hints: Hints | None = None, *, predict: Predict | None = None) -> Matte:
        """Alpha and colours for one frame. ``hints`` force user-marked pixels to foreground or
        background; ``predict`` replaces the session's forward pass (a cache, a batch computed ahead)."""
        rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        settings = self.options.settings(rgb, getattr(self.session.spec, "refine_defaults", ()))
        if predict is None and wants_float_form(settings) and getattr(self.session, "quantised", False):
            predict = partial(self.session.predict, float_form=True)
        refined = refine(image, predict or self.session.predict, settings,
                         model_side=max(self.session.spec.input_size), hints=hints, rgb=rgb)
        alpha = alpha_to_uint8(apply_source_alpha(refined.alpha, image))
        colours = Image.fromarray(refined.rgb) if refined.rgb is not None else image
        return Matte(alpha, colours, refined.timings)

    def process(
        self,
        decoded: Decoded,
        hints: Image.Image | None = None,
        *,
        predictions: Sequence[np.ndarray | None] | None = None,
    ) -> list[Image.Image]:
        """Every frame's result; an animation is cropped to one box so its frames stay aligned.

        ``hints`` is an optional keep/remove stroke image (see :mod:`alphacut.refine.hints`),
        scaled to the frame size and applied to every frame. ``predictions``, aligned with
        ``decoded.frames``, holds the model's output for a frame's image computed ahead (a batched
        forward) or ``None``; it stands in for the model only on that exact image, so a preset that
        feeds the model other inputs (mirror, upscale) still runs them."""
        return [frame.image for frame in self.results(decoded, hints, predictions=predictions)]

    def results(
        self,
        decoded: Decoded,
        hints: Image.Image | None = None,
        *,
        predictions: Sequence[np.ndarray | None] | None = None,
    ) -> Iterator[Frame]:
        """:meth:`process` frame by frame: each result, with its source frame's display time, as
        soon as it is made, while ``decoded`` (a :class:`~alphacut.io.decode.FrameStream` decodes
        its frames as they are asked for) yields the next; only the frame in hand is held.

        With ``crop``, an animation's frames share the box that holds the subject in all of them,
        known only after the last: the composed frames are held until then, then cropped."""
        if predictions is not None and len(predictions) != decoded.frame_count:
            raise ValueError(f"{len(predictions)} predictions for {decoded.frame_count} frames")
        parsed = parse_hints(hints, decoded.size) if hints is not None else None
        held: list[Frame] = []
        boxes = []
        for index, frame in enumerate(decoded.iter_frames()):
            reused = self._reusing(frame.image, predictions[index]) if predictions else None
            matte = self.matte(frame.image, parsed, predict=reused)
            result = Frame(self._composed(matte.colours, matte.alpha), frame.duration)
            if not self.options.crop:
                yield result
                continue
            held.append(result)
            boxes.append(crop_box(matte.alpha, self.options.margin))
        if held:
            box = union_box(boxes)
            yield from (Frame(self._cropped(frame.image, box), frame.duration) for frame in held)

    def _reusing(self, image: Image.Image, output: np.ndarray | None) -> Predict | None:
        if output is None:
            return None

        return KnownPrediction(image, output, self.session.predict)

    def compose(self, image: Image.Image, alpha: np.ndarray, box=None) -> Image.Image:
        return self._cropped(self._composed(image, alpha), box)

    def _composed(self, image: Image.Image, alpha: np.ndarray) -> Image.Image:
        options = self.options
        if options.mask:
            return mask_image(alpha)
        if options.scene is not None:
            return compose_scene(image, alpha, options.scene)
        result = cutout(image, alpha)
        if options.bg_color is not None:
            return on_color(result, options.bg_color)
        if options.bg_image is not None:
            return on_image(result, options.bg_image, options.bg_fit)
        return result

    def _cropped(self, result: Image.Image, box) -> Image.Image:
        scene = self.options.scene
        if box is None or (not self.options.mask and scene is not None and scene.layout):
            return result  # a layout (a fixed canvas) is not cropped
        return result.crop(box)
