"""rembg's options (its ``remove()`` keywords and its server's ``a``, ``af``, ``ab``, ``ae``, ``om``,
``ppm``, ``bgc``, ``model``, ``extras``) turned into :meth:`alphacut.pipeline.RemoveOptions.from_user`
values, and rembg's model names into ours. Pure functions, shared by the HTTP drop-in and the
Python one so both read a rembg option the same way.

rembg's alpha matting builds a trimap from the model's mask (sure foreground above ``af``, sure
background below ``ab``, both eroded by ``ae`` px) and solves closed-form matting in it; here that
is the ``cf`` edge solver with the trimap's confidence levels and band set from the same numbers.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from alphacut.compose.background import parse_color
from alphacut.errors import OptionError

#: rembg's session names of the models alphacut has; any other name is looked up as our own.
MODEL_BY_REMBG_NAME = {"isnet-general-use": "isnet"}
#: The HTTP parameters of rembg's ``/api/remove`` (``url`` only on GET).
HTTP_PARAMETERS = ("model", "a", "af", "ab", "ae", "om", "ppm", "bgc", "extras")
_TRUE = ("true", "1", "yes", "on", "t", "y")
_FALSE = ("false", "0", "no", "off", "f", "n")


class RembgParamError(OptionError):
    """A rembg parameter with a bad value; ``name`` is the parameter as the client sent it."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.reason = message


@dataclass(frozen=True)
class RembgOptions:
    """What rembg's ``remove()`` is asked for, checked; defaults are rembg's."""

    alpha_matting: bool = False
    foreground_threshold: int = 240
    background_threshold: int = 10
    erode_size: int = 10
    only_mask: bool = False
    post_process_mask: bool = False
    bgcolor: tuple[int, int, int, int] | None = None

    def __post_init__(self) -> None:
        for name, value in (("alpha_matting_foreground_threshold", self.foreground_threshold),
                            ("alpha_matting_background_threshold", self.background_threshold)):
            if not _is_int(value) or not 0 <= value <= 255:
                raise RembgParamError(name, f"must be a whole number from 0 to 255, not {value!r}")
        if not _is_int(self.erode_size) or self.erode_size < 0:
            raise RembgParamError("alpha_matting_erode_size", f"must be a whole number >= 0, not {self.erode_size!r}")
        if self.alpha_matting and self.background_threshold >= self.foreground_threshold:
            raise RembgParamError("alpha_matting_background_threshold",
                                  f"must be below the foreground threshold ({self.background_threshold} >= {self.foreground_threshold})")
        if self.bgcolor is not None:
            values = tuple(self.bgcolor)
            if len(values) != 4 or not all(_is_int(v) and 0 <= v <= 255 for v in values):
                raise RembgParamError("bgcolor", f"must be four whole numbers 0-255 (r, g, b, a), not {self.bgcolor!r}")

    def remove_values(self, size: tuple[int, int]) -> dict[str, Any]:
        """The :meth:`RemoveOptions.from_user` values for an image of ``size`` (w, h): the matting
        band is rembg's erosion in pixels, as a fraction of this image's diagonal."""
        values: dict[str, Any] = {"mask": self.only_mask}
        if self.post_process_mask:
            values["threshold"] = 0.5  # rembg's post-processing ends in a 0/255 mask
        if self.alpha_matting:
            values["matting"] = "cf"
            values["tuning"] = {
                "low": self.background_threshold / 255.0,
                "high": self.foreground_threshold / 255.0,
                "band": (self.erode_size / 2.0) / math.hypot(*size),
            }
        if self.bgcolor is not None and not self.only_mask:
            values["bg"] = tuple(self.bgcolor)
        return values


@dataclass(frozen=True)
class RembgHttpRequest:
    """rembg's server parameters: the model asked for (``None``: the default) and the options."""

    model: str | None
    options: RembgOptions


def our_model_name(name: str) -> str:
    """``isnet-general-use`` -> ``isnet``; our own names and paths pass through."""
    return MODEL_BY_REMBG_NAME.get(name, name)


def rembg_name_of(name: str) -> str | None:
    """The rembg session name of one of our models, if rembg has one."""
    return next((theirs for theirs, ours in MODEL_BY_REMBG_NAME.items() if ours == name), None)


def parse_http(values: Mapping[str, str]) -> RembgHttpRequest:
    """rembg's ``/api/remove`` parameters (query string and form fields, as text)."""
    unknown = sorted(set(values) - set(HTTP_PARAMETERS))
    if unknown:
        raise RembgParamError(unknown[0], f"unknown parameter; rembg's parameters are {', '.join(HTTP_PARAMETERS)}")
    extras = values.get("extras")
    if extras:
        check_extras(extras)
    model = values.get("model") or None
    options = RembgOptions(
        alpha_matting=_bool("a", values.get("a"), False),
        foreground_threshold=_int("af", values.get("af"), 240),
        background_threshold=_int("ab", values.get("ab"), 10),
        erode_size=_int("ae", values.get("ae"), 10),
        only_mask=_bool("om", values.get("om"), False),
        post_process_mask=_bool("ppm", values.get("ppm"), False),
        bgcolor=_colour("bgc", values.get("bgc")),
    )
    return RembgHttpRequest(model=model, options=options)


def check_extras(text: str) -> None:
    """rembg's ``extras`` feed its SAM prompts and custom model files; alphacut has neither, and
    its server never opens a file a request names, so only an empty object is accepted."""
    try:
        extras = json.loads(text)
    except ValueError:
        raise RembgParamError("extras", "must be a JSON object") from None
    if not isinstance(extras, dict):
        raise RembgParamError("extras", "must be a JSON object")
    if extras:
        raise RembgParamError("extras", f"{', '.join(sorted(extras))} not supported by alphacut "
                                        "(no SAM prompts; the server loads only the models it was started with)")


def _bool(name: str, text: str | None, default: bool) -> bool:
    if text is None or text == "":
        return default
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RembgParamError(name, f"must be a boolean, not {text!r}")


def _int(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise RembgParamError(name, f"must be a whole number, not {text!r}") from None
    limits = {"af": (0, 255), "ab": (0, 255), "ae": (0, None)}[name]
    if value < limits[0] or (limits[1] is not None and value > limits[1]):
        upper = f" and <= {limits[1]}" if limits[1] is not None else ""
        raise RembgParamError(name, f"must be >= {limits[0]}{upper}, not {value}")
    return value


def _colour(name: str, text: str | None) -> tuple[int, int, int, int] | None:
    """rembg's ``bgc``: ``r,g,b,a`` (``r,g,b`` is taken as opaque); colour names and hex are
    alphacut's, not rembg's, so they are refused here."""
    if text is None or text == "":
        return None
    message = f"must be r,g,b,a with whole numbers 0-255, not {text!r}"
    if "," not in text:
        raise RembgParamError(name, message)
    try:
        return parse_color(text)
    except OptionError:
        raise RembgParamError(name, message) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
