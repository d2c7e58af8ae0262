"""``alphacut erase`` (object removal) and ``alphacut replace-bg`` (background repainting)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from alphacut.cli.options import max_pixels_option, model_option, overwrite_option, quiet_option
from alphacut.cli.outputs import output_target, write_image
from alphacut.cli.picking import BOX_HELP, POINT_HELP, POINT_OFF_HELP

FILL_HELP = "Filler: exemplar (patches, default), telea or ns (diffusion, thin regions), or onnx:PATH (your model)."


def erase(
    image: Path = typer.Argument(..., help="The photo to edit."),
    point: Optional[List[str]] = typer.Option(None, "--point", metavar="X,Y", help=POINT_HELP),
    point_off: Optional[List[str]] = typer.Option(None, "--point-off", metavar="X,Y", help=POINT_OFF_HELP),
    box: Optional[str] = typer.Option(None, "--box", metavar="X0,Y0,X1,Y1", help=BOX_HELP),
    mask: Optional[Path] = typer.Option(None, "--mask", metavar="FILE", help="Remove the white pixels of this mask image."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (default: NAME.erased.png beside the input)."),
    fill: str = typer.Option("exemplar", "--fill", help=FILL_HELP),
    dilate: Optional[int] = typer.Option(None, "--dilate", min=0, help="Grow the mask by N px first (default: 0.6% of the long side, >= 3)."),
    save_mask: Optional[Path] = typer.Option(None, "--save-mask", metavar="FILE", help="Also write the filled region as a mask."),
    model: str = model_option("Model that finds the object under --point/--box."),
    overwrite: bool = overwrite_option(),
    max_pixels: Optional[int] = max_pixels_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Remove an object: pick it by a click, a box or a mask, then fill the hole."""
    import numpy as np
    from PIL import Image

    from alphacut.cli.picking import parse_clicks
    from alphacut.edit import select
    from alphacut.edit.erase import erase as erase_object
    from alphacut.edit.fillers import get_filler
    from alphacut.errors import InputError
    from alphacut.io.decode import decode_first_frame

    if (mask is not None) == bool(point or box):
        raise InputError("say what to remove with --point X,Y and/or --box X0,Y0,X1,Y1, or with --mask FILE")
    if mask is not None and point_off:
        raise InputError("--point-off leaves an object out of a pick: it goes with --point or --box, not --mask")
    points, points_off, picked_box = parse_clicks(point, point_off, box)
    target = output_target(image, output, ".erased", overwrite)
    mask_target = output_target(image, save_mask, ".mask", overwrite) if save_mask else None
    filler = get_filler(fill)
    picture = decode_first_frame(image, max_pixels=max_pixels)
    rgb = np.asarray(picture.convert("RGB"))
    if mask is not None:
        selected = select.mask_from_file(mask, picture.size)
    else:
        from alphacut.models import load_model
        from alphacut.pipeline import Remover
        from alphacut.pipeline.object_matte import object_matte, zoom_helps

        remover = Remover(load_model(model))
        pick = select.pick_objects(rgb, object_matte(remover, rgb), points=points, points_off=points_off, box=picked_box,
                                   zoom=zoom_helps(remover, rgb))
        selected = pick.alpha > 0.5
    grow_by = select.auto_dilation(rgb.shape) if dilate is None else dilate
    result = erase_object(picture, selected, filler, grow_by)
    write_image(result, target)
    if mask_target is not None:
        write_image(Image.fromarray(select.grow(selected, grow_by).astype(np.uint8) * 255, "L"), mask_target)
    if not quiet:
        share = 100.0 * select.grow(selected, grow_by).mean()
        print(f"erased {share:.1f}% of the image with {filler.name} -> {target}", file=sys.stderr)


def replace_bg(
    image: Path = typer.Argument(..., help="The photo whose background is repainted."),
    fill: str = typer.Option("exemplar", "--fill", help=FILL_HELP),
    texture: Optional[Path] = typer.Option(None, "--texture", metavar="FILE", help="Sample the exemplar filler copies from (wood, paper, fabric...)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file (default: NAME.newbg.png beside the input)."),
    model: str = model_option("Model that finds the subject."),
    preset: str = typer.Option("auto", "-p", "--preset", help="Refinement preset of the subject's mask."),
    overwrite: bool = overwrite_option(),
    max_pixels: Optional[int] = max_pixels_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Repaint the background with a filler, keeping the subject pixel-exact."""
    import numpy as np

    from alphacut.edit.erase import replace_background
    from alphacut.edit.fillers import get_filler
    from alphacut.errors import InputError
    from alphacut.io.decode import decode_first_frame
    from alphacut.models import load_model
    from alphacut.pipeline import RemoveOptions, Remover

    target = output_target(image, output, ".newbg", overwrite)
    options = {}
    if fill.strip() == "exemplar":
        if texture is None:
            raise InputError("--fill exemplar repaints the background from a sample: add --texture FILE "
                             "(or use --fill onnx:PATH with a generative model)")
        sample = decode_first_frame(texture, max_pixels=max_pixels)
        options["source"] = np.asarray(sample.convert("RGB"))
    elif texture is not None:
        raise InputError("--texture is only used by --fill exemplar")
    filler = get_filler(fill, **options)
    picture = decode_first_frame(image, max_pixels=max_pixels)
    alpha = Remover(load_model(model), RemoveOptions(preset=preset)).matte(picture).alpha
    if (alpha > 8).all():
        raise InputError(f"{image}: the subject covers the whole image; there is no background to repaint")
    write_image(replace_background(picture, alpha, filler), target)
    if not quiet:
        print(f"background repainted with {filler.name} -> {target}", file=sys.stderr)

