"""Decoding images into frames under the pixel limit, encoding cutouts back to bytes, and image
files: one listing rule, the alpha of a mask file, atomic writes."""
from alphacut.io.decode import DecodedImage, Frame, decode_image, open_image
from alphacut.io.encode import encode_frames, format_for_path
from alphacut.io.files import IMAGE_EXTENSIONS, list_images, read_alpha, write_atomic

__all__ = [
    "DecodedImage", "Frame", "IMAGE_EXTENSIONS", "decode_image", "encode_frames", "format_for_path", "list_images",
    "open_image", "read_alpha", "write_atomic",
]
