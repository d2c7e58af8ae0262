"""The image the drop-in endpoint tests send: a white rectangle (the tiny model's subject) on black."""
from __future__ import annotations

import io

from PIL import Image

SUBJECT = (16, 12, 48, 36)  # left, top, right, bottom


def white_square(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (0, 0, 0))
    image.paste((255, 255, 255), SUBJECT)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


PNG = white_square()


def opened(data: bytes) -> Image.Image:
    """Encoded bytes as a loaded PIL image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
