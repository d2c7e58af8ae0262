"""``alphacut filler train``: train a partial-convolution hole filler on your photos and export it to ONNX."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

filler_app = typer.Typer(help="Train hole fillers for 'alphacut erase --fill onnx:FILE'.", no_args_is_help=True)


@filler_app.command("train", no_args_is_help=True)
def train(
    images: Path = typer.Option(..., "--images", help="Folder of photos like the ones you will edit."),
    masks: Path = typer.Option(..., "--masks", help="Folder of removal-model masks (alphacut remove --mask)."),
    out: Path = typer.Option(..., "--out", help="The ONNX file to write."),
    steps: int = typer.Option(20000, "--steps"),
    size: int = typer.Option(256, "--size"),
    batch: int = typer.Option(8, "--batch"),
    depth: int = typer.Option(5, "--depth"),
    width: int = typer.Option(32, "--width"),
    lr: float = typer.Option(2e-4, "--lr"),
    checkpoint: Optional[Path] = typer.Option(
        None, "--checkpoint", help="Save here every 1000 steps; resume from it if it exists."
    ),
) -> None:
    """Train a partial-convolution U-Net on holes shaped like the objects in --masks, and export it to --out."""
    try:
        from alphacut.adapt.filler_train import HoleBank, export_filler, load_images, train as run_training
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        from alphacut.errors import InputError

        raise InputError("training a filler needs PyTorch: pip install 'alphacut[train]'") from None

    net, _ = run_training(
        load_images(images, size), HoleBank.from_folder(masks), steps=steps, size=size, batch_size=batch,
        depth=depth, width=width, lr=lr, checkpoint=checkpoint, report=lambda message: typer.echo(message, err=True),
    )
    export_filler(net, out, size)
    typer.echo(f"wrote {out}; use it with --fill onnx:{out} (multiple {2 ** depth})", err=True)
