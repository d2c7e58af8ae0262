"""``alphacut layers``: a photo as layers, one per object plus a clean background plate, written
as PSD, OpenRaster or a folder of PNGs with ``layers.json``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from alphacut.cli.options import max_pixels_option, model_option, overwrite_option, quiet_option

FILL_HELP = "Filler of the plate's holes: exemplar (patches, default), telea or ns (diffusion), or onnx:PATH."


def layers(
    image: Path = typer.Argument(..., help="The photo to split into layers."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="OUT.psd, OUT.ora or a folder (default: NAME.layers.psd beside the input)."),
    max_objects: int = typer.Option(8, "--max-objects", min=1, help="At most this many object layers (the largest; smaller ones stay in the plate)."),
    min_area: Optional[int] = typer.Option(None, "--min-area", min=1, help="Objects smaller than this many pixels are specks (default: 0.1% of the image)."),
    shadows: bool = typer.Option(False, "--shadows", help="Also a shadow layer per object: the darkening it casts, taken out of the plate."),
    fill: str = typer.Option("exemplar", "--fill", help=FILL_HELP),
    grow_px: Optional[int] = typer.Option(None, "--grow", min=0, help="Grow each object's hole in the plate by N px (default: 0.6% of the long side, >= 3)."),
    model: str = model_option("Model that finds the objects."),
    preset: str = typer.Option("auto", "-p", "--preset", help="Refinement preset of the objects' alpha (as in remove)."),
    overwrite: bool = overwrite_option(),
    max_pixels: Optional[int] = max_pixels_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Split a photo into its objects (one RGBA layer each) and a clean background plate."""
    import numpy as np

    from alphacut.edit.fillers import get_filler
    from alphacut.edit.layers import build_layers
    from alphacut.edit.objects import find_objects
    from alphacut.errors import InputError, OutputError
    from alphacut.io.decode import decode_first_frame
    from alphacut.io.layered import layered_format, write_layered
    from alphacut.models import load_model
    from alphacut.pipeline import RemoveOptions, Remover
    from alphacut.pipeline.object_matte import object_matte, zoom_helps

    target = output or image.with_name(image.stem + ".layers.psd")
    fmt = layered_format(target)
    if fmt != "folder" and target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; add --overwrite to replace it")
    if target.exists() and image.exists() and target.resolve() == image.resolve():
        raise OutputError(f"{target}: refusing to overwrite the input")
    filler = get_filler(fill)
    options = RemoveOptions.from_user(preset=preset)
    picture = decode_first_frame(image, max_pixels=max_pixels)
    rgb = np.asarray(picture.convert("RGB"))
    remover = Remover(load_model(model), options)
    objects = find_objects(rgb, object_matte(remover, rgb), max_objects=max_objects, min_area=min_area,
                           zoom=zoom_helps(remover, rgb))
    if not objects:
        raise InputError(f"{image}: the model found no object to put on a layer")
    stack = build_layers(rgb, objects, filler, shadows=shadows, grow_px=grow_px)
    write_layered(target, picture.size, stack, overwrite=overwrite)
    if not quiet:
        scores = ", ".join(f"{o.score:.2f}" for o in objects)
        print(f"{len(objects)} object(s) (scores {scores}) + background plate -> {target}", file=sys.stderr)
