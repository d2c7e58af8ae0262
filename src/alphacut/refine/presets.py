"""Named refinement presets: which stages run and with what settings, per kind of content."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from alphacut.errors import InputError


@dataclass(frozen=True)
class RefineSettings:
    """Switches and parameters of the refinement stages, in the order they run.

    pixel_art: upscale nearest-neighbour before the model, vote per art pixel after (implies hard).
    gaps: make background seen through the subject transparent.
    matting: ``none``, ``guided`` or ``cf`` inside a trimap band of half-width ``band`` x diagonal.
    flat_background: on a solid synthetic background, also keep every pixel that a colour flood
        fill from the border does not reach (recovers parts the model drops: hair, glasses, white).
    main_subject: drop small, off-centre or blurred components.
    threshold: binarise alpha at this value (``hard`` = threshold 0.5); ``None`` keeps soft alpha.
    decontaminate: replace edge colours by the estimated foreground colour.
    """

    pixel_art: bool = False
    flat_background: bool = False
    gaps: bool = True
    matting: str = "guided"
    band: float = 0.006
    low: float = 0.05
    high: float = 0.95
    main_subject: bool = False
    threshold: float | None = None
    decontaminate: bool = True

    @property
    def hard(self) -> bool:
        return self.threshold is not None

    def with_options(self, **options) -> "RefineSettings":
        known = {f.name for f in fields(self)}
        unknown = set(options) - known
        if unknown:
            raise InputError(f"unknown refinement option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return replace(self, **options)


PRESETS: dict[str, RefineSettings] = {
    "raw": RefineSettings(gaps=False, matting="none", decontaminate=False),
    "photo": RefineSettings(),
    "portrait": RefineSettings(band=0.012, high=0.98),
    "product": RefineSettings(band=0.003),
    "graphic": RefineSettings(flat_background=True, matting="none", threshold=0.5, decontaminate=False),
    "pixel-art": RefineSettings(pixel_art=True, flat_background=True, gaps=False, matting="none", threshold=0.5,
                                decontaminate=False),
}
#: ``auto`` picks ``pixel-art`` for small-palette sprites and icons, ``graphic`` for other images on
#: a flat synthetic background, else ``photo``.
PRESET_NAMES = ("auto", *PRESETS)
DEFAULT_PRESET = "auto"


def get_preset(name: str) -> RefineSettings | None:
    """Settings of a named preset; ``None`` for ``auto`` (decided per image)."""
    if name == "auto":
        return None
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError(f"unknown preset {name!r}; use one of {', '.join(PRESET_NAMES)}") from None
