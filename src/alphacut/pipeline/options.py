"""The one options model of the remove pipeline: what to make of an image, validated once.

Every surface builds :class:`RemoveOptions` through :meth:`RemoveOptions.from_user` (the Python
API, the CLI, the HTTP server, ``alphacut eval`` pipelines, the Ray workers), so one option means
one thing everywhere and a bad value fails the same way, with one line, before any work.
"""
from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from PIL import Image

from alphacut.compose.background import Color, parse_color
from alphacut.compose.blur import MAX_SIGMA as MAX_BLUR_SIGMA
from alphacut.compose.scene import Scene, scene_for_remove
from alphacut.errors import OptionError
from alphacut.refine.presets import DEFAULT_PRESET, PRESET_NAMES, RefineSettings, get_preset
from alphacut.refine.refiner import settings_for

BG_FITS = ("fill", "fit", "stretch")
MATTING_METHODS = ("guided", "cf", "none")
TTA_VARIANTS = (1, 2, 4)
SHADOWS = ("drop", "contact")
#: Largest ``ecommerce`` canvas side in pixels (100 MP, within the default pixel limit).
MAX_CANVAS_SIDE = 10_000
_FLAGS = ("mask", "crop", "keep_soft", "main_subject")

#: Refinement settings that are options of their own; every other :class:`RefineSettings` field
#: can be set through ``tuning`` (``band:0.01``), the knobs ``alphacut eval`` pipelines turn.
_NAMED_SETTINGS = ("threshold", "main_subject", "decontaminate", "matting", "tta")


@dataclass(frozen=True)
class RemoveOptions:
    """What to make of the image: a cutout (default), the mask alone, or the subject on a new
    background; optionally cropped to the subject with a margin in pixels.

    ``preset`` names the refinement (``auto`` decides per image); ``threshold`` binarises alpha,
    ``keep_soft`` keeps soft alpha even in presets that binarise; ``main_subject`` drops bystanders;
    ``decontaminate`` (default: the preset's) removes the old background's colour from soft edges;
    ``matting`` picks the edge solver; ``tta`` averages the model over 1, 2 or 4 input variants
    (more model runs, steadier masks); ``tuning`` sets any other refinement setting by name
    (pairs, e.g. ``(("band", 0.01),)``); ``scene`` adds a blurred original, shadow, harmonisation
    or a layout (:mod:`alphacut.compose.scene`).
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
    tuning: tuple[tuple[str, Any], ...] = ()
    scene: Scene | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.preset, str):
            raise OptionError(f"preset must be a preset name, not {self.preset!r}")
        get_preset(self.preset)  # an unknown preset names the known ones
        for flag in _FLAGS:
            if not isinstance(getattr(self, flag), bool):
                raise OptionError(f"{flag} must be True or False, not {getattr(self, flag)!r}")
        if self.decontaminate is not None and not isinstance(self.decontaminate, bool):
            raise OptionError(f"decontaminate must be True, False or None (the preset's), not {self.decontaminate!r}")
        if self.bg_fit not in BG_FITS:
            raise OptionError(f"bg_fit must be {', '.join(BG_FITS)}, not {self.bg_fit!r}")
        if isinstance(self.margin, bool) or not isinstance(self.margin, int) or self.margin < 0:
            raise OptionError(f"margin must be a whole number of pixels >= 0, not {self.margin!r}")
        if self.threshold is not None and not _is_unit_number(self.threshold):
            raise OptionError(f"threshold must be a number between 0 and 1, not {self.threshold!r}")
        if self.keep_soft and self.threshold is not None:
            raise OptionError("keep_soft and threshold exclude each other")
        if self.matting is not None and self.matting not in MATTING_METHODS:
            raise OptionError(f"matting must be {', '.join(MATTING_METHODS)}, not {self.matting!r}")
        if self.tta is not None and (isinstance(self.tta, bool) or self.tta not in TTA_VARIANTS):
            raise OptionError(f"tta must be 1, 2 or 4, not {self.tta!r}")
        if self.bg_color is not None and (
            len(self.bg_color) != 4 or not all(isinstance(v, int) and 0 <= v <= 255 for v in self.bg_color)
        ):
            raise OptionError(f"bg_color must be four integers 0-255 (r, g, b, a), not {self.bg_color!r}")
        if self.bg_image is not None and not isinstance(self.bg_image, Image.Image):
            raise OptionError("bg_image must be a decoded PIL image (RemoveOptions.from_user reads files)")
        known = {f.name for f in fields(RefineSettings)} - set(_NAMED_SETTINGS)
        for key, value in self.tuning:
            if key not in known:
                raise OptionError(f"unknown refinement setting {key!r}; known: {', '.join(sorted(known))}")
            _check_setting(key, value)
        RefineSettings().with_options(**dict(self.tuning))  # ranges: band >= 0, logit_gain > 0, ...

    @classmethod
    def from_user(
        cls,
        *,
        bg: str | tuple | None = None,
        bg_image: str | Path | bytes | Image.Image | None = None,
        bg_fit: str = "fill",
        bg_blur: float | None = None,
        shadow: str | None = None,
        harmonize: float | None = None,
        ecommerce: int | None = None,
        tuning: str | Mapping[str, Any] | None = None,
        max_pixels: int | None = None,
        **values: Any,
    ) -> "RemoveOptions":
        """Options from the values a person types or a client sends: a colour as a name, hex or
        tuple; a background image as a path, bytes or PIL image (decoded under ``max_pixels``);
        the scene options of ``remove`` (``bg_blur``, ``shadow``, ``harmonize``, ``ecommerce``);
        ``tuning`` as ``"band:0.01,guided_eps:1e-4"`` or a mapping, typed by the setting. Every
        other keyword is a field of :class:`RemoveOptions`. Raises :class:`OptionError` on any bad value."""
        # colour and scene come from bg/bg_blur/shadow/...: set directly, they would bypass those checks
        unknown = (set(values) - {f.name for f in fields(cls)}) | ({"bg_color", "scene", "tuning"} & set(values))
        if unknown:
            raise OptionError(f"unknown option(s) {', '.join(sorted(unknown))}")
        bg_color = _color(bg)
        background = _background(bg_image, max_pixels)
        if shadow is not None and shadow not in SHADOWS:
            raise OptionError(f"shadow must be {' or '.join(SHADOWS)}, not {shadow!r}")
        if bg_blur is not None and not (_is_number(bg_blur) and 0.5 <= bg_blur <= MAX_BLUR_SIGMA):
            raise OptionError(f"bg_blur must be a blur radius from 0.5 to {MAX_BLUR_SIGMA:g}, not {bg_blur!r}")
        if ecommerce is not None and (isinstance(ecommerce, bool) or not isinstance(ecommerce, int)
                                      or not 16 <= ecommerce <= MAX_CANVAS_SIDE):
            raise OptionError(f"ecommerce must be a canvas size from 16 to {MAX_CANVAS_SIDE} px, not {ecommerce!r}")
        if harmonize is not None and not _is_unit_number(harmonize):
            raise OptionError(f"harmonize must be between 0 and 1, not {harmonize!r}")
        scene = scene_for_remove(bg_color=bg_color, bg_image=background, bg_fit=bg_fit, blur=bg_blur, shadow=shadow,
                                 harmonize=harmonize, ecommerce=ecommerce)
        return cls(bg_color=bg_color, bg_image=background, bg_fit=bg_fit, scene=scene,
                   tuning=parse_tuning(tuning), **values)

    @classmethod
    def from_pairs(cls, preset: str, pairs: Mapping[str, str]) -> "RemoveOptions":
        """Refinement options typed from text pairs, as ``alphacut eval --pipeline
        photo=matting:cf,band:0.01`` gives them: ``keep_soft`` and the settings that are options of
        their own (``threshold``, ``matting``, ``tta``...) go to their fields, any other
        :class:`RefineSettings` name to ``tuning``; each value is typed by its field."""
        values = dict(pairs)
        keep_soft = _convert("keep_soft", values.pop("keep_soft"), (bool,)) if "keep_soft" in values else False
        typed = dict(parse_tuning(values))
        named = {key: typed.pop(key) for key in _NAMED_SETTINGS if key in typed}
        if "threshold" in named and named["threshold"] is None:  # "threshold:none" = do not binarise
            del named["threshold"]
            keep_soft = True
        return cls.from_user(preset=preset, keep_soft=keep_soft, tuning=typed, **named)

    @property
    def has_transparency(self) -> bool:
        if self.mask:
            return False
        if self.scene is not None:
            return not self.scene.opaque
        if self.bg_color is not None:
            return self.bg_color[3] < 255
        return self.bg_image is None or self.bg_fit == "fit"

    def settings(self, rgb: np.ndarray, model_defaults: tuple[tuple[str, Any], ...] = ()) -> RefineSettings:
        """The refinement for one image: the preset (auto: chosen from the image), the model's
        ``refine_defaults``, then these options over both."""
        chosen = settings_for(rgb, get_preset(self.preset))
        overrides: dict[str, Any] = {**dict(model_defaults), **dict(self.tuning)}
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
        # a preset that binarises has no edge solver; soft alpha asked of it gets the guided filter
        if self.keep_soft and chosen.hard and chosen.matting == "none" and "matting" not in overrides \
                and not chosen.pixel_art:
            overrides["matting"] = "guided"
        return chosen.with_options(**overrides) if overrides else chosen


def user_option_names() -> frozenset[str]:
    """Every name :meth:`RemoveOptions.from_user` takes (``max_pixels`` aside): the Python API, the
    CLI and the HTTP API each offer exactly these, under these names."""
    import inspect

    signature = inspect.signature(RemoveOptions.from_user)
    own = {name for name in signature.parameters if name not in ("values", "max_pixels")}
    derived = {"bg_color", "scene"}  # built by from_user from bg and the scene options
    return frozenset(own | {f.name for f in fields(RemoveOptions)} - derived)


def split_pairs(text: str) -> dict[str, str]:
    """``"band:0.01,guided-eps:1e-4"`` -> ``{"band": "0.01", "guided_eps": "1e-4"}``."""
    pairs: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = pair.partition(":")
        if not sep:
            raise OptionError(f"setting {pair!r} must be key:value")
        pairs[key.strip().replace("-", "_")] = value.strip()
    return pairs


def parse_tuning(tuning: str | Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """``"band:0.01,matting:cf"`` (or a mapping of strings or values) as typed, sorted pairs;
    each value is converted to its :class:`RefineSettings` field's type, so ``band:wide`` fails here."""
    if tuning is None or tuning == "":
        return ()
    if not isinstance(tuning, (str, Mapping)):
        raise OptionError(f"tuning must be text (band:0.01,matting:cf) or a mapping, not {tuning!r}")
    if isinstance(tuning, str):
        tuning = split_pairs(tuning)
    types_by_name = _setting_types()
    typed = []
    for key, value in tuning.items():
        if key not in types_by_name:
            raise OptionError(f"unknown refinement setting {key!r}; known: {', '.join(sorted(types_by_name))}")
        typed.append((key, _convert(key, value, types_by_name[key]) if isinstance(value, str) else value))
    return tuple(sorted(typed))


def _setting_types() -> dict[str, tuple[type, ...]]:
    """Each :class:`RefineSettings` field's accepted types (``float | None`` -> (float, NoneType))."""
    hints = typing.get_type_hints(RefineSettings)
    result = {}
    for name, hint in hints.items():
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union else ()
        result[name] = tuple(args) if args else (hint,)
    return result


def _convert(key: str, text: str, accepted: tuple[type, ...]) -> Any:
    lowered = text.lower()
    if type(None) in accepted and lowered in ("none", ""):
        return None
    for kind in accepted:
        if kind is bool:
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
        elif kind in (int, float):
            try:
                number = kind(text)
            except ValueError:
                continue
            if _is_number(number):
                return number
        elif kind is str:
            return text
    names = " or ".join("none" if kind is type(None) else kind.__name__ for kind in accepted)
    raise OptionError(f"refinement setting {key}:{text} must be {names}")


def _check_setting(key: str, value: Any) -> None:
    accepted = _setting_types()[key]
    if value is None and type(None) in accepted:
        return
    if bool in accepted:
        if not isinstance(value, bool):
            raise OptionError(f"refinement setting {key} must be true or false, not {value!r}")
        return
    if any(kind in (int, float) for kind in accepted):
        if not _is_number(value) or (int in accepted and float not in accepted and not isinstance(value, int)):
            raise OptionError(f"refinement setting {key} must be a finite number, not {value!r}")
        return
    if not isinstance(value, str):
        raise OptionError(f"refinement setting {key} must be text, not {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_unit_number(value: Any) -> bool:
    return _is_number(value) and 0.0 <= value <= 1.0


def _color(bg: str | tuple | None) -> Color | None:
    if bg is None:
        return None
    if isinstance(bg, str):
        return parse_color(bg)
    try:
        values = tuple(int(v) for v in bg)
    except (TypeError, ValueError):
        raise OptionError(f"bad colour {bg!r}; use a name (white), #rrggbb[aa] or (r, g, b[, a])") from None
    if len(values) not in (3, 4) or not all(0 <= v <= 255 for v in values):
        raise OptionError(f"bad colour {bg!r}; give 3 or 4 values between 0 and 255")
    return values if len(values) == 4 else (*values, 255)  # type: ignore[return-value]


def _background(bg_image: str | Path | bytes | Image.Image | None, max_pixels: int | None) -> Image.Image | None:
    if bg_image is None or isinstance(bg_image, Image.Image):
        return bg_image
    if not isinstance(bg_image, (str, Path, bytes, bytearray)):
        raise OptionError(f"bg_image must be a path, encoded bytes or a PIL image, not {type(bg_image).__name__}")
    from alphacut.io.decode import decode_first_frame

    # a background is one picture: an animation's first frame, its other frames neither counted nor decoded
    return decode_first_frame(bg_image, name="bg_image" if isinstance(bg_image, bytes) else None, max_pixels=max_pixels)


__all__ = ["PRESET_NAMES", "RemoveOptions", "parse_tuning", "split_pairs", "user_option_names"]
