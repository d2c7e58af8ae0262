"""Composition: cutouts with straight alpha, new backgrounds, cropping to the subject."""
from alphacut.compose.background import fit_background, on_color, on_image, parse_color
from alphacut.compose.crop import crop_box
from alphacut.compose.cutout import cutout, mask_image

__all__ = ["crop_box", "cutout", "fit_background", "mask_image", "on_color", "on_image", "parse_color"]
