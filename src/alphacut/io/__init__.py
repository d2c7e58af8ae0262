"""Decoding images into frames and encoding cutouts back to files, atomically."""
from alphacut.io.decode import DecodedImage, Frame, decode_image
from alphacut.io.encode import encode_frames, format_for_path, write_atomic

__all__ = ["DecodedImage", "Frame", "decode_image", "encode_frames", "format_for_path", "write_atomic"]
