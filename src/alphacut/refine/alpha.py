"""Alpha bookkeeping shared by every refinement stage."""
from __future__ import annotations

import numpy as np
from PIL import Image


def alpha_to_uint8(alpha: np.ndarray) -> np.ndarray:
    """Float alpha in [0, 1] to 8-bit, rounded (soft values are kept, never binarised)."""
    scaled = np.clip(alpha, 0.0, 1.0)  # one float copy, worked on in place: huge images stay bounded
    scaled *= 255.0
    np.rint(scaled, out=scaled)
    return scaled.astype(np.uint8)


def apply_source_alpha(alpha: np.ndarray, image: Image.Image) -> np.ndarray:
    """Pixels already transparent in the input stay transparent: multiply by the input's alpha."""
    if image.mode != "RGBA":
        return alpha
    source = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0
    return alpha * source
