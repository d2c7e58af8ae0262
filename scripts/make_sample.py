"""Render the shipped sample: a shaded product scene whose true mask is known exactly.

Run once to (re)create samples/product.jpg and samples/product.mask.png; both are committed.
The scene is drawn at 4x and downsampled, so edges are anti-aliased like a photo's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

W, H, SS = 640, 480, 4
OUT = Path(__file__).resolve().parent.parent / "samples"


def render() -> tuple[Image.Image, Image.Image]:
    w, h = W * SS, H * SS
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    # backdrop: a warm seamless paper sweep, darker towards the top, with a little grain
    t = y / h
    backdrop = np.stack([200 + 40 * t, 190 + 45 * t, 175 + 50 * t], axis=-1)
    light = np.array([-0.5, -0.6, 0.62], np.float32)
    light /= np.linalg.norm(light)

    # a glossy ball
    cx, cy, r = 0.36 * w, 0.58 * h, 0.2 * h
    dx, dy = (x - cx) / r, (y - cy) / r
    ball = dx**2 + dy**2 <= 1.0
    dz = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1))
    lambert = np.clip(dx * light[0] + dy * light[1] + dz * light[2], 0, 1)
    spec = np.clip(lambert, 0, 1) ** 40
    ball_rgb = np.stack([30 + 190 * lambert, 60 + 60 * lambert, 160 + 80 * lambert], -1) + 255 * spec[..., None]

    # a box (a tilted face and a top) standing to the right
    bx0, bx1, by0, by1 = 0.56 * w, 0.8 * w, 0.38 * h, 0.78 * h
    front = (x >= bx0) & (x <= bx1) & (y >= by0) & (y <= by1)
    top = (y < by0) & (y >= by0 - 0.08 * h) & (x >= bx0 + (by0 - y) * 0.9) & (x <= bx1 + (by0 - y) * 0.9)
    side = (x > bx1) & (x <= bx1 + 0.072 * h) & (y >= by0 - (x - bx1) / 0.9) & (y <= by1 - (x - bx1) / 0.9)
    box_rgb = np.zeros((h, w, 3), np.float32)
    box_rgb[front] = (235, 150, 40)
    box_rgb[top] = (250, 200, 110)
    box_rgb[side] = (170, 95, 20)
    stripe = front & (np.abs(y - (by0 + by1) / 2) < 0.03 * h)
    box_rgb[stripe] = (250, 245, 235)
    box = front | top | side

    # soft contact shadows on the floor
    shadow = np.zeros((h, w), np.float32)
    shadow += np.exp(-(((x - cx) / (1.1 * r)) ** 2 + ((y - (cy + r)) / (0.18 * r)) ** 2))
    shadow += np.exp(-(((x - (bx0 + bx1) / 2 - 0.05 * w) / (0.16 * w)) ** 2 + ((y - by1) / (0.03 * h)) ** 2))
    image = backdrop * (1 - 0.45 * np.clip(shadow, 0, 1))[..., None]
    image[box] = box_rgb[box]
    image[ball] = ball_rgb[ball]
    mask = (ball | box).astype(np.float32) * 255

    big = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
    small = big.resize((W, H), Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(0.4))
    rng = np.random.default_rng(7)
    grain = rng.normal(0, 2.0, (H, W, 3))
    photo = Image.fromarray(np.clip(np.asarray(small, np.float32) + grain, 0, 255).astype(np.uint8))
    alpha = Image.fromarray(mask.astype(np.uint8)).resize((W, H), Image.Resampling.BOX)
    return photo, alpha


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    photo, alpha = render()
    photo.save(OUT / "product.jpg", quality=92)
    alpha.save(OUT / "product.mask.png")
    print(f"wrote {OUT / 'product.jpg'} and {OUT / 'product.mask.png'}")
