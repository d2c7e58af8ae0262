"""Named refinement presets: which stages run and with what settings, per kind of content."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from alphacut.errors import OptionError


@dataclass(frozen=True)
class RefineSettings:
    """Switches and parameters of the refinement stages, in the order they run.

    pixel_art: upscale nearest-neighbour before the model, vote per art pixel after (implies hard).
    tta: test-time augmentation, the number of input variants whose outputs are averaged: 1 (off),
        2 (the image and its mirror, both pre-resized to the model's side with Lanczos) or 4 (those
        two and the same pair with the model's own resize); costs that many model runs, and
        steadies ambiguous regions (hair, leaves, mesh).
    gaps: make background seen through the subject transparent.
    consensus: average the model's probability with a GrabCut segmentation it seeds, before matting
        (colour evidence for strands and leaves the model is unsure of; costs a GrabCut at <= 1024 px).
    matting: ``none``, ``guided`` or ``cf`` inside a trimap band of half-width ``band`` x diagonal;
        ``guided_eps`` is the guided filter's regulariser (smaller follows the photo's edges closer).
    flat_background: on a solid synthetic background, also keep every pixel that a colour flood
        fill from the border does not reach (recovers parts the model drops: hair, glasses, white);
        ``flat_tolerance`` is the fill's colour distance (``None``: from the background's noise); ``flat_rule`` ``union`` keeps what either
        the model or the fill keeps, ``fill`` trusts the fill alone.
    main_subject: drop small, off-centre or blurred components.
    threshold: binarise alpha at this value (``hard`` = threshold 0.5); ``None`` keeps soft alpha.
    decontaminate: replace edge colours by the estimated foreground colour.
    """

    pixel_art: bool = False
    tta: int = 1
    flat_background: bool = False
    flat_tolerance: float | None = None
    flat_rule: str = "fill"
    gaps: bool = False
    consensus: bool = False
    matting: str = "guided"
    guided_eps: float = 1e-3
    band: float = 0.003
    low: float = 0.5
    high: float = 0.5
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
            raise OptionError(f"unknown refinement option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        if "matting" in options and options["matting"] is None:
            options["matting"] = "none"
        return replace(self, **options)


PRESETS: dict[str, RefineSettings] = {
    "raw": RefineSettings(gaps=False, matting="none", decontaminate=False),
    "photo": RefineSettings(),
    "portrait": RefineSettings(tta=2, consensus=True, band=0.006, low=0.05, high=0.95, guided_eps=1e-4),
    "product": RefineSettings(gaps=True),
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
        raise OptionError(f"unknown preset {name!r}; use one of {', '.join(PRESET_NAMES)}") from None
