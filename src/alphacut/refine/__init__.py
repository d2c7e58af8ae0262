"""Refinement: from the model's coarse probability map to the alpha matte of the cutout."""
from alphacut.refine.alpha import alpha_to_uint8, apply_source_alpha

__all__ = ["alpha_to_uint8", "apply_source_alpha"]
