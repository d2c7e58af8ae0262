"""Named refinement presets: which stages run and with what settings, per kind of content."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from alphacut.errors import OptionError


@dataclass(frozen=True)
class RefineSettings:
    """Switches and parameters of the refinement stages, in the order they run.

    pixel_art: upscale nearest-neighbour before the model, vote per art pixel after (implies hard).
    tta: test-time augmentation, the number of input variants whose outputs are averaged: 1 (off),
        2 (the image and its mirror) or 4 (the mirror pair with the model's own resize and the same
        pair pre-resized to the model's side with Lanczos); costs that many model runs, and
        steadies ambiguous regions (hair, leaves, mesh).
    tta_resize: for ``tta 2``, how the pair is resized to the model's side: ``lanczos`` (before the
        model, keeps strands sharper on upscaled photos) or ``model`` (the session's own resize).
    mirror_side: the square side at which the mirror image of a model-resized pair runs (``None``:
        the model's own): multi-scale averaging, the model's view at two scales for the price of
        about 1.55 forwards at 768 against 2 at 1024 (BENCHMARKS.md §3c).
    logit_gain, logit_bias: the calibration curve ``sigmoid(gain * logit(p) + bias)`` applied to the
        model's output before every other stage (:mod:`alphacut.refine.calibration`).
    gaps: make background seen through the subject transparent.
    consensus: average the model's probability with a GrabCut segmentation it seeds, before matting
        (colour evidence for strands and leaves the model is unsure of; costs a GrabCut at <= 1024 px).
    matting: ``none``, ``guided`` or ``cf`` inside a trimap band of half-width ``band`` x diagonal;
        ``guided_eps`` is the guided filter's regulariser (smaller follows the photo's edges closer).
    flat_background: on a flat synthetic background (its colour found on the border pixels the
        model calls background, :mod:`alphacut.refine.flat_background`), alpha from the colour
        distance to it: keeps every object part the background's flood fill does not reach, also
        where the object touches the frame (recovers parts the model drops: light ribbons, glasses);
        ``flat_tolerance`` is the fill's colour distance (``None``: from the background's noise);
        ``flat_rule`` ``union`` keeps what either the model or the fill keeps, ``fill`` trusts the
        fill alone; ``flat_soft_edges`` solves the compositing equation for the anti-aliased edge
        (off: binary, for pixel art's hard outlines).
    main_subject: drop small, off-centre or blurred components.
    threshold: binarise alpha at this value (``hard`` = threshold 0.5); ``None`` keeps soft alpha.
    decontaminate: replace edge colours by the estimated foreground colour.
    """

    pixel_art: bool = False
    tta: int = 1
    tta_resize: str = "lanczos"
    mirror_side: int | None = None
    logit_gain: float = 1.0
    logit_bias: float = 0.0
    flat_background: bool = False
    flat_tolerance: float | None = None
    flat_rule: str = "fill"
    flat_soft_edges: bool = True
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

    def __post_init__(self) -> None:
        if self.tta not in (1, 2, 4) or isinstance(self.tta, bool):
            raise OptionError(f"tta must be 1, 2 or 4, not {self.tta!r}")
        if self.tta_resize not in ("lanczos", "model"):
            raise OptionError(f"tta_resize must be lanczos or model, not {self.tta_resize!r}")
        if self.mirror_side is not None and (
            isinstance(self.mirror_side, bool) or not isinstance(self.mirror_side, int)
            or not 64 <= self.mirror_side <= 4096 or self.mirror_side % 32
        ):
            raise OptionError(f"mirror_side must be a multiple of 32 from 64 to 4096, or none, not {self.mirror_side!r}")
        if self.matting not in ("none", "guided", "cf"):
            raise OptionError(f"matting must be guided, cf or none, not {self.matting!r}")
        if self.flat_rule not in ("fill", "union"):
            raise OptionError(f"flat_rule must be fill or union, not {self.flat_rule!r}")
        if not self.logit_gain > 0:
            raise OptionError(f"logit_gain must be > 0, not {self.logit_gain!r}")
        for name in ("band", "guided_eps"):
            if not getattr(self, name) >= 0:
                raise OptionError(f"{name} must be >= 0, not {getattr(self, name)!r}")
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise OptionError(f"low and high must satisfy 0 <= low <= high <= 1, not {self.low!r}, {self.high!r}")
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise OptionError(f"threshold must be between 0 and 1, not {self.threshold!r}")

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


#: The default for photographs (``auto`` on a photo): the image and its mirror averaged, the
#: model's output calibrated (logit x2, +0.5: the model under-segments and leaves greys where it is
#: right), guided matting in a thin band, decontaminated colours. Two forwards. Chosen on the dev
#: sets and confirmed on ecssd_check_400 and leave-one-out on alphamatting_20 (BENCHMARKS.md §3).
PHOTO = RefineSettings(tta=2, tta_resize="model", logit_gain=2.0, logit_bias=0.5)

PRESETS: dict[str, RefineSettings] = {
    "raw": RefineSettings(gaps=False, matting="none", decontaminate=False),
    # one forward; alpha is the model's own, so never below raw; colours decontaminated at soft edges
    "fast": RefineSettings(matting="none"),
    "photo": PHOTO,
    "portrait": RefineSettings(tta=2, consensus=True, band=0.006, low=0.05, high=0.95, guided_eps=1e-4),
    "product": replace(PHOTO, gaps=True),
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
