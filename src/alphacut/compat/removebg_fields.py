"""remove.bg's request fields, read and checked: the names and values its API reference documents
for ``POST /v1.0/removebg``, turned into :meth:`alphacut.pipeline.RemoveOptions.from_user` values
plus the geometry remove.bg adds on top (output size, region of interest, scale, position and
per-side crop margins). Pure functions: no HTTP here, so every rule is testable on its own.

A bad value raises :class:`FieldError` with remove.bg-style error ``code``; the server answers it
as ``400 {"errors": [{"title": ..., "code": ...}]}``.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Mapping

from alphacut.compose.background import parse_color
from alphacut.errors import OptionError

#: The image sources; exactly one per request.
SOURCE_FIELDS = ("image_file", "image_file_b64", "image_url")
#: Fields that are uploaded files in a multipart request, never text.
FILE_FIELDS = ("image_file", "bg_image_file")
#: Every field this drop-in reads; any other name is refused, so a typo never silently does nothing.
KNOWN_FIELDS = (
    *SOURCE_FIELDS, "size", "type", "format", "channels", "bg_color", "bg_image_file", "bg_image_url",
    "crop", "crop_margin", "scale", "position", "roi", "semitransparency", "add_shadow",
)

#: Largest output in megapixels per ``size`` (aliases included); ``None``: the image as given.
#: remove.bg resizes ``preview`` results to 0.25 MP; ``full``/``4k``/``50MP``/``auto`` keep the
#: original resolution, which this server bounds by its own pixel limit instead of by credits.
MEGAPIXELS_BY_SIZE: dict[str, float | None] = {
    "preview": 0.25, "small": 0.25, "regular": 0.25,
    "medium": 1.5, "hd": 4.0,
    "full": None, "4k": None, "50mp": None, "auto": None,
}
#: remove.bg's foreground types and the refinement preset each one runs.
PRESET_BY_TYPE = {
    "auto": "auto",
    "person": "portrait",
    "product": "product",
    "car": "product",
    "transportation": "product",
    "animal": "photo",
    "graphic": "graphic",
}
FORMATS = ("auto", "png", "jpg", "zip")
CHANNELS = ("rgba", "alpha")
#: remove.bg's documented bounds of ``crop_margin``: per side at most 50 % of the subject or 500 px.
MAX_MARGIN_PERCENT = 50.0
MAX_MARGIN_PX = 500
MIN_SCALE_PERCENT, MAX_SCALE_PERCENT = 10.0, 100.0

_LENGTH = re.compile(r"(\d+(?:\.\d+)?)(px|%)?", re.IGNORECASE)
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_TRUE, _FALSE = ("true", "1"), ("false", "0")


class FieldError(OptionError):
    """A remove.bg field is missing, unknown or has a value remove.bg's reference does not allow."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Length:
    """A length in pixels, or in percent of a reference length (``10%``)."""

    value: float
    percent: bool = False

    def resolve(self, reference: float) -> float:
        return self.value * reference / 100.0 if self.percent else self.value


NO_MARGIN = (Length(0.0),) * 4


@dataclass(frozen=True)
class RemoveBgFields:
    """The options of one remove.bg request, checked; defaults are remove.bg's.

    ``crop_margin`` is (top, right, bottom, left); ``scale`` the subject's size as a fraction of
    the canvas (``None``: as photographed); ``position`` the subject's place as fractions of the
    free room, (0, 0) top left to (1, 1) bottom right (``None``: where it was); ``roi`` the
    rectangle (x1, y1, x2, y2) outside which nothing is foreground.
    """

    size: str = "preview"
    type: str = "auto"
    format: str = "auto"
    channels: str = "rgba"
    bg_color: str | None = None
    crop: bool = False
    crop_margin: tuple[Length, Length, Length, Length] = NO_MARGIN
    scale: float | None = None
    position: tuple[float, float] | None = None
    roi: tuple[Length, Length, Length, Length] | None = None
    semitransparency: bool | None = None
    add_shadow: bool = False

    @property
    def max_output_pixels(self) -> int | None:
        megapixels = MEGAPIXELS_BY_SIZE[self.size]
        return None if megapixels is None else int(megapixels * 1_000_000)

    @property
    def reported_type(self) -> str:
        """The ``X-Type`` answer: the type asked for; ``other`` for ``auto``, as nothing here classifies."""
        return "other" if self.type == "auto" else self.type

    @property
    def moves_subject(self) -> bool:
        return self.scale is not None or self.position is not None

    def remove_values(self) -> dict[str, Any]:
        """The :meth:`RemoveOptions.from_user` values these fields ask for (the background image,
        bytes, is passed beside them)."""
        values: dict[str, Any] = {"preset": PRESET_BY_TYPE[self.type], "mask": self.channels == "alpha"}
        if self.bg_color is not None:
            values["bg"] = self.bg_color
        if self.add_shadow:
            values["shadow"] = "contact"  # remove.bg's shadow: the subject standing on the ground
        if self.semitransparency is True:
            values["keep_soft"] = True
        elif self.semitransparency is False:
            values["threshold"] = 0.5
        return values


@dataclass(frozen=True)
class RemoveBgRequest:
    """One request: its options and where the image (and an optional background) come from."""

    fields: RemoveBgFields
    image: bytes | None = None
    image_url: str | None = None
    bg_image: bytes | None = None
    bg_image_url: str | None = None


def parse_request(values: Mapping[str, Any], files: Mapping[str, bytes] | None = None) -> RemoveBgRequest:
    """A request from its text or JSON ``values`` and multipart ``files`` (``image_file``,
    ``bg_image_file``). Empty values and JSON ``null`` count as not given, as remove.bg's clients
    send unset options that way."""
    files = dict(files or {})
    unknown = sorted((set(values) | set(files)) - set(KNOWN_FIELDS))
    if unknown:
        raise FieldError("unknown_parameter",
                         f"unknown parameter(s) {', '.join(unknown)}; remove.bg parameters: {', '.join(KNOWN_FIELDS)}")
    for name in FILE_FIELDS:
        if _given(values.get(name)):
            raise FieldError("invalid_parameter",
                             f"{name} must be an uploaded file (multipart); send the image as image_file_b64 in JSON or form requests")
    stray = sorted(set(files) - set(FILE_FIELDS))
    if stray:
        raise FieldError("invalid_parameter", f"{', '.join(stray)}: not a file parameter; files are {' and '.join(FILE_FIELDS)}")
    text = {name: _text(name, value) for name, value in values.items() if _given(value)}
    files = {name: data for name, data in files.items() if data}
    sources = [name for name in SOURCE_FIELDS if name in text or name in files]
    if not sources:
        raise FieldError("missing_source", "no image given: send one of image_file, image_file_b64 or image_url")
    if len(sources) > 1:
        raise FieldError("multiple_sources", f"give one image source, not {' and '.join(sources)}")
    backgrounds = [name for name in ("bg_color", "bg_image_file", "bg_image_url") if name in text or name in files]
    if len(backgrounds) > 1:
        raise FieldError("invalid_parameter", f"give one background, not {' and '.join(backgrounds)}")
    image = files.get("image_file")
    if "image_file_b64" in text:
        image = _base64(text["image_file_b64"])
    return RemoveBgRequest(
        fields=parse_fields(text),
        image=image,
        image_url=text.get("image_url"),
        bg_image=files.get("bg_image_file"),
        bg_image_url=text.get("bg_image_url"),
    )


def parse_fields(text: Mapping[str, str]) -> RemoveBgFields:
    """The options among ``text`` (name -> non-empty text), checked one by one."""
    values: dict[str, Any] = {}
    if "size" in text:
        values["size"] = _choice("size", text["size"].lower(), tuple(MEGAPIXELS_BY_SIZE))
    if "type" in text:
        values["type"] = _choice("type", text["type"].lower(), tuple(PRESET_BY_TYPE))
    if "format" in text:
        values["format"] = _choice("format", text["format"].lower(), FORMATS)
    if "channels" in text:
        values["channels"] = _choice("channels", text["channels"].lower(), CHANNELS)
    if "bg_color" in text:
        values["bg_color"] = parse_bg_color(text["bg_color"])
    for name in ("crop", "semitransparency", "add_shadow"):
        if name in text:
            values[name] = parse_bool(name, text[name])
    if "crop_margin" in text:
        values["crop_margin"] = parse_crop_margin(text["crop_margin"])
    if "scale" in text:
        values["scale"] = parse_scale(text["scale"])
    if "position" in text or values.get("scale") is not None:
        values["position"] = parse_position(text.get("position", "center"))
    if "roi" in text:
        values["roi"] = parse_roi(text["roi"])
    return RemoveBgFields(**values)


def parse_bool(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FieldError("invalid_parameter", f"{name} must be true or false, not {text!r}")


def parse_bg_color(text: str) -> str:
    """remove.bg's colours: hex without ``#`` (``81d4fa``, ``fff``, ``81d4fa77``) or a colour name."""
    value = text.strip()
    hex_match = _HEX_COLOUR.fullmatch(value)
    candidate = f"#{hex_match.group(1)}" if hex_match else value
    try:
        parse_color(candidate)
    except OptionError:
        raise FieldError("invalid_parameter",
                         f"bg_color {text!r} is not a colour; use hex (81d4fa, fff, 81d4fa77) or a name (green)") from None
    return candidate


def parse_length(name: str, text: str) -> Length:
    match = _LENGTH.fullmatch(text.strip())
    if not match:
        raise FieldError("invalid_parameter", f"{name}: {text!r} is not a length; use pixels (30px, 30) or percent (10%)")
    return Length(float(match.group(1)), (match.group(2) or "px") == "%")


def parse_crop_margin(text: str) -> tuple[Length, Length, Length, Length]:
    """One value (all sides), two (top/bottom, left/right) or four (top, right, bottom, left)."""
    parts = [parse_length("crop_margin", part) for part in _split(text)]
    if len(parts) not in (1, 2, 4):
        raise FieldError("invalid_parameter", f"crop_margin takes 1, 2 or 4 values, not {len(parts)} ({text!r})")
    for part in parts:
        limit = MAX_MARGIN_PERCENT if part.percent else MAX_MARGIN_PX
        if part.value > limit:
            unit = "%" if part.percent else "px"
            raise FieldError("invalid_parameter", f"crop_margin {part.value:g}{unit} exceeds remove.bg's maximum of {limit:g}{unit} per side")
    if len(parts) == 1:
        return (parts[0],) * 4  # type: ignore[return-value]
    if len(parts) == 2:
        return (parts[0], parts[1], parts[0], parts[1])
    return tuple(parts)  # type: ignore[return-value]


def parse_scale(text: str) -> float | None:
    """``original`` (None) or ``10%`` to ``100%``: the subject's size relative to the canvas."""
    value = text.strip().lower()
    if value == "original":
        return None
    length = parse_length("scale", value)
    if not length.percent or not MIN_SCALE_PERCENT <= length.value <= MAX_SCALE_PERCENT:
        raise FieldError("invalid_parameter", f"scale must be original or a percentage from 10% to 100%, not {text!r}")
    return length.value / 100.0


def parse_position(text: str) -> tuple[float, float] | None:
    """``original`` (None), ``center``, or one or two percentages (horizontal, vertical)."""
    value = text.strip().lower()
    if value == "original":
        return None
    if value in ("center", "centre"):
        return (0.5, 0.5)
    parts = [parse_length("position", part) for part in _split(value)]
    if len(parts) not in (1, 2) or not all(p.percent and p.value <= 100 for p in parts):
        raise FieldError("invalid_parameter",
                         f"position must be original, center, or one or two percentages from 0% to 100%, not {text!r}")
    horizontal = parts[0].value / 100.0
    return (horizontal, parts[1].value / 100.0 if len(parts) == 2 else horizontal)


def parse_roi(text: str) -> tuple[Length, Length, Length, Length]:
    """``"<x1> <y1> <x2> <y2>"``, each in px or % of the image's width or height."""
    parts = [parse_length("roi", part) for part in _split(text)]
    if len(parts) != 4:
        raise FieldError("invalid_parameter", f"roi takes four values '<x1> <y1> <x2> <y2>', not {text!r}")
    if any(p.percent and p.value > 100 for p in parts):
        raise FieldError("invalid_parameter", f"roi percentages must be at most 100%: {text!r}")
    return tuple(parts)  # type: ignore[return-value]


def roi_box(roi: tuple[Length, Length, Length, Length], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The region of interest in pixels of an image of ``size`` (w, h), clamped to it."""
    width, height = size
    x1, y1, x2, y2 = (round(roi[i].resolve(width if i % 2 == 0 else height)) for i in range(4))
    box = (max(0, x1), max(0, y1), min(width, x2), min(height, y2))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise FieldError("invalid_parameter", f"roi selects nothing of the {width}x{height} image")
    return box


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text.strip()) if part]


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise FieldError("invalid_parameter", f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise FieldError("invalid_parameter", f"{name} must be text, a number or true/false, not {type(value).__name__}")


def _base64(text: str) -> bytes:
    cleaned = "".join(text.split())
    if cleaned.startswith("data:") and "," in cleaned:  # a data URL, as browsers hand them out
        cleaned = cleaned.split(",", 1)[1]
    try:
        data = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise FieldError("invalid_image_b64", "image_file_b64 is not valid base64") from None
    if not data:
        raise FieldError("invalid_image_b64", "image_file_b64 is empty")
    return data
