"""What ``erase``, ``remove --point`` and ``layers`` share: the click and box values read from the
command line, and ``remove --point``'s cutout of the picked objects. The object finder's matte is
:func:`alphacut.pipeline.object_matte.object_matte`, the same :class:`~alphacut.pipeline.Remover`
that ``remove`` runs.

Imported by those commands at start-up, so NumPy and the model are imported inside the functions.
"""
from __future__ import annotations

from typing import Optional, Sequence

POINT_HELP = "Pick the whole object under this pixel (repeatable: each click adds an object)."
POINT_OFF_HELP = "Leave out the object under this pixel (repeatable)."
BOX_HELP = "Pick the objects lying mostly inside this box."


def parse_clicks(
    points: Optional[Sequence[str]], points_off: Optional[Sequence[str]], box: Optional[str]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], Optional[tuple[int, int, int, int]]]:
    """``--point``, ``--point-off`` and ``--box`` values as pixel coordinates (one-line errors)."""
    from alphacut.edit import select
    from alphacut.errors import InputError

    on = [select.parse_point(text) for text in points or []]
    off = [select.parse_point(text) for text in points_off or []]
    if off and not on and box is None:
        raise InputError("--point-off leaves an object out of a pick: add --point X,Y or --box X0,Y0,X1,Y1")
    return on, off, select.parse_box(box) if box is not None else None


def remove_picked(
    job, config, points: list[tuple[int, int]], points_off: list[tuple[int, int]], box: Optional[tuple[int, int, int, int]]
) -> float:
    """``alphacut remove --point/--box``: the cutout (or mask, or new background) of the picked
    objects only, for one image job; returns the share of the image kept."""
    import numpy as np
    from PIL import Image

    from alphacut.compose.crop import crop_box
    from alphacut.edit.objects import find_objects
    from alphacut.edit.select import pick_objects
    from alphacut.engines.steps import load_remover, read_source, write_bytes
    from alphacut.errors import InputError
    from alphacut.io.encode import encode_frames
    from alphacut.pipeline.object_matte import object_matte, zoom_helps

    decoded = read_source(job, config)
    if decoded.frame_count != 1:
        raise InputError(f"{job.relative}: --point and --box pick objects in a still image, not an animation")
    picture = next(iter(decoded.iter_frames())).image
    remover = load_remover(config)
    rgb = np.asarray(picture.convert("RGB"))
    whole = remover.matte(picture)
    base = np.asarray(whole.colours.convert("RGB"))
    matte, zoom = object_matte(remover, rgb), zoom_helps(remover, rgb)
    objects = find_objects(rgb, matte, first_pass=(whole.alpha.astype(np.float32) / 255.0, base), zoom=zoom)
    pick = pick_objects(rgb, matte, points=points, points_off=points_off, box=box, objects=objects, zoom=zoom)
    alpha = np.rint(np.clip(pick.alpha, 0.0, 1.0) * 255.0).astype(np.uint8)
    colours = Image.fromarray(pick.colours(base))
    crop = crop_box(alpha, config.options.margin) if config.options.crop else None
    write_bytes(job, encode_frames([remover.compose(colours, alpha, crop)], config.fmt, png_level=config.png_level))
    return float((alpha > 127).mean())
