"""The options of ``/v1/remove`` and ``/v1/mask`` as an HTTP schema (query strings, form fields,
OpenAPI). The names are those of :meth:`alphacut.pipeline.RemoveOptions.from_user`, which gives
them their meaning and checks them; here they are only typed."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alphacut.compose.background import parse_color
from alphacut.errors import InputError  # parse_color raises OptionError, an InputError
from alphacut.refine.presets import PRESET_NAMES

PresetName = Literal[PRESET_NAMES]  # type: ignore[valid-type]


class RemoveParams(BaseModel):
    """What to make of the uploaded image. Unknown names are refused (422), so a typo never
    silently falls back to a default."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: Optional[str] = Field(None, description="A served model (GET /v1/models); default: the first one.", max_length=200)
    preset: PresetName = Field("auto", description="Refinement preset.")
    format: Literal["png", "webp"] = Field("png", description="Output format; both keep 8-bit alpha (WebP lossless).")
    mask: bool = Field(False, description="Return the grey alpha mask instead of the cutout.")
    bg: Optional[str] = Field(None, description="Background colour: a name, #rrggbb[aa] or r,g,b[,a].", max_length=64)
    bg_fit: Literal["fill", "fit", "stretch"] = Field("fill", description="How an uploaded bg_image covers the frame.")
    crop: bool = Field(False, description="Crop to the subject's bounding box.")
    margin: int = Field(0, ge=0, le=4096, description="Pixels kept around the subject with crop.")
    threshold: Optional[float] = Field(None, ge=0.0, le=1.0, allow_inf_nan=False, description="Binary alpha: opaque where alpha >= threshold.")
    keep_soft: bool = Field(False, description="Soft alpha even where the preset binarises.")
    main_subject: bool = Field(False, description="Keep the dominant subject, drop bystanders.")
    decontaminate: Optional[bool] = Field(None, description="Remove background colour from soft edges (default: the preset's).")
    matting: Optional[Literal["guided", "cf", "none"]] = Field(None, description="Edge matting (default: the preset's).")
    tta: Optional[int] = Field(None, description="Average the model over 1, 2 (mirror) or 4 input variants (checked by RemoveOptions).")
    tuning: Optional[str] = Field(None, max_length=500, description="Any other refinement setting, e.g. band:0.01,guided_eps:1e-4.")
    bg_blur: Optional[float] = Field(None, ge=0.5, le=500, allow_inf_nan=False, description="Put the subject on its own photo, painted out and blurred (sigma).")
    shadow: Optional[Literal["drop", "contact"]] = Field(None, description="Add a drop or contact shadow under the subject.")
    harmonize: Optional[float] = Field(None, ge=0.0, le=1.0, allow_inf_nan=False, description="Match the subject's colours to the new background (0-1).")
    ecommerce: Optional[int] = Field(None, ge=16, le=8192, description="Square canvas of this many px, subject centred, white unless bg.")

    def remove_values(self) -> dict:
        """The values that :meth:`alphacut.pipeline.RemoveOptions.from_user` takes (all but the
        served model and the output format), under the same names."""
        return self.model_dump(exclude={"model", "format"})

    @field_validator("bg")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_color(value)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value
