"""Decoding images into frames under the pixel and frame limits (an animation as a stream of
frames), encoding cutouts back to bytes, and image files: one listing rule, the alpha of a mask
file, atomic writes."""
from alphacut.io.decode import (
    DecodedImage, Frame, FrameStream, decode_first_frame, decode_image, open_image, read_frames,
)
from alphacut.io.encode import encode_frames, encode_stream, format_for_path
from alphacut.io.limits import DecodeLimits, decode_limits
from alphacut.io.files import IMAGE_EXTENSIONS, list_images, read_alpha, write_atomic

__all__ = [
    "DecodeLimits", "DecodedImage", "Frame", "FrameStream", "IMAGE_EXTENSIONS", "decode_first_frame", "decode_image",
    "decode_limits", "encode_frames", "encode_stream", "format_for_path", "list_images", "open_image", "read_alpha",
    "read_frames", "write_atomic",
]
