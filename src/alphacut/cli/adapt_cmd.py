"""``alphacut dataset build``, ``alphacut train`` and ``alphacut export``: adapt the model to a collection."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from alphacut.cli.options import overwrite_option, quiet_option, threads_option
from alphacut.config import DEFAULT_MODEL

dataset_app = typer.Typer(help="Build training sets from your own images.", no_args_is_help=True)


@dataset_app.command("build", no_args_is_help=True)
def build(
    out: Path = typer.Option(..., "--out", "-o", help="New dataset folder (images/, masks/, manifest.json)."),
    rgba: Optional[Path] = typer.Option(None, "--rgba", help="Folder of RGBA images: alpha becomes the mask."),
    with_bg: Optional[Path] = typer.Option(None, "--with-bg", help="Images with their background (use with --without-bg)."),
    without_bg: Optional[Path] = typer.Option(None, "--without-bg", help="RGBA cutouts of the same collection."),
    images: Optional[Path] = typer.Option(None, "--images", help="Images folder (use with --masks)."),
    masks: Optional[Path] = typer.Option(None, "--masks", help="Masks folder: same names as --images."),
    soft: bool = typer.Option(True, "--soft/--hard", help="Keep alpha 0-255 (soft) or threshold it (hard)."),
    hard_threshold: int = typer.Option(128, "--hard-threshold", min=1, max=255),
    backgrounds: List[str] = typer.Option(
        [], "--backgrounds", "-b",
        help="solid, pattern, noise or a folder of photos; comma-separated or repeated. Default for --rgba: solid,pattern,noise.",
    ),
    per_subject: int = typer.Option(3, "--per-subject", min=1, help="Composites per subject on new backgrounds."),
    merge: Optional[Path] = typer.Option(None, "--merge", help="An earlier dataset: its samples (and splits) are copied in too, e.g. to add a review's winners before 'train --resume'."),
    backgrounds_from: Optional[Path] = typer.Option(
        None, "--backgrounds-from",
        help="Folder of the collection's images with their backgrounds: learn their style (corners and border only) "
             "and add --per-subject more composites on backgrounds of that kind (--rgba only).",
    ),
    scale: int = typer.Option(1, "--scale", min=1, max=64, help="Nearest-neighbour upscale (pixel art to display size)."),
    val: float = typer.Option(0.1, "--val", min=0.0, max=0.9, help="Fraction of subjects for validation."),
    test: float = typer.Option(0.0, "--test", min=0.0, max=0.9, help="Fraction of subjects held out for testing."),
    seed: int = typer.Option(0, "--seed"),
    crop: float = typer.Option(0.6, "--match-crop", min=0.05, max=1.0, help="Pairs: centre crop fraction compared."),
    size: int = typer.Option(16, "--match-size", min=2, max=256, help="Pairs: thumbnail side in pixels."),
    threshold: float = typer.Option(200.0, "--match-threshold", min=0.0, help="Pairs: largest accepted grey MSE (0-255)."),
    quiet: bool = quiet_option("No progress or report (errors still print)."),
) -> None:
    """Write a training set from RGBA images, with/without-background pairs, or images + masks."""
    from rich.console import Console

    from alphacut.adapt.dataset import BuildReport, BuildSettings, build_dataset, mask_subjects, pair_subjects, rgba_subjects
    from alphacut.adapt.matching import MatchSettings
    from alphacut.errors import InputError

    chosen = [name for name, given in (("--rgba", rgba), ("--with-bg/--without-bg", with_bg or without_bg),
                                       ("--images/--masks", images or masks)) if given]
    if len(chosen) != 1:
        raise InputError("give exactly one source: --rgba DIR, --with-bg DIR --without-bg DIR, or --images DIR --masks DIR")
    kinds = tuple(part.strip() for entry in backgrounds for part in entry.split(",") if part.strip())
    report = BuildReport()
    if rgba is not None:
        sources = [rgba]
        kinds = kinds or ("solid", "pattern", "noise")
    elif with_bg is not None or without_bg is not None:
        if with_bg is None or without_bg is None:
            raise InputError("--with-bg and --without-bg go together")
        sources = [with_bg, without_bg]
    else:
        if images is None or masks is None:
            raise InputError("--images and --masks go together")
        sources = [images, masks]
    if backgrounds_from is not None:
        if rgba is None:
            raise InputError("--backgrounds-from adds composites of --rgba cutouts; use it with --rgba")
        sources.append(backgrounds_from)
    if merge is not None:
        sources.append(merge)
    for source in sources:
        if not source.is_dir():
            raise InputError(f"{source}: no such folder")
    settings = BuildSettings(soft=soft, hard_threshold=hard_threshold, backgrounds=kinds, per_subject=per_subject,
                             backgrounds_from=str(backgrounds_from) if backgrounds_from else None,
                             merge=str(merge) if merge else None,
                             scale=scale, val_fraction=val, test_fraction=test, seed=seed)
    if rgba is not None:
        subjects = rgba_subjects(rgba, report)
    elif with_bg is not None:
        subjects = pair_subjects(with_bg, without_bg, MatchSettings(crop, size, threshold), report)
    else:
        subjects = mask_subjects(images, masks, report)
    console = Console(stderr=True, quiet=quiet)
    with console.status("building dataset") as status:
        build_dataset(subjects, out, settings, report, sources,
                      progress=lambda origin: status.update(f"building dataset: {len(report.samples)} samples"))
    counts = ", ".join(f"{n} {split}" for split, n in sorted(report.counts().items())) or "no samples"
    console.print(f"{out}: {len(report.samples)} samples ({counts})")
    if report.style:
        console.print(f"background style learned from {backgrounds_from}: {report.style}")
    if report.matches:
        console.print(f"matched {len(report.matches)} pairs (scores in manifest.json)")
    if report.skipped:
        console.print(f"skipped {len(report.skipped)}:")
        for entry in report.skipped[:20]:
            console.print(f"  {entry['path']}: {entry['reason']}", markup=False, highlight=False)
        if len(report.skipped) > 20:
            console.print(f"  ... and {len(report.skipped) - 20} more (all listed in manifest.json)")
    if not report.samples:
        raise InputError("no samples written; see the reasons above")


def train(
    data: Path = typer.Argument(..., help="Dataset folder from 'alphacut dataset build'."),
    out: Path = typer.Option(..., "--out", "-o", help="Run folder (checkpoints last.pt and best.pt)."),
    arch: str = typer.Option("isnet", "--arch", help="isnet (fine-tune), u2net or u2netp (from scratch)."),
    init: str = typer.Option(DEFAULT_MODEL, "--init", help="IS-Net weights: installed model name or .onnx; 'none' = from scratch."),
    size: str = typer.Option("320", "--size", help="Training resolution (square) in pixels, or 'grid' for pixel art: "
                             "4 model pixels per art pixel, no crops or small rotations (one art pixel = 4 model pixels at prediction too)."),
    batch: int = typer.Option(4, "--batch", min=1),
    epochs: int = typer.Option(20, "--epochs", min=1),
    lr: float = typer.Option(1e-4, "--lr", help="Peak learning rate."),
    schedule: str = typer.Option("cosine", "--schedule", help="cosine (decay to 0 over the epochs or --time-limit) or constant."),
    weight_decay: float = typer.Option(1e-4, "--weight-decay"),
    ssim: bool = typer.Option(False, "--ssim", help="Add the SSIM term to BCE + IoU."),
    patience: int = typer.Option(5, "--patience", min=1, help="Early stop after this many epochs without better val IoU."),
    pixel_art: bool = typer.Option(False, "--pixel-art", help="Nearest-neighbour resampling everywhere."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    precision: str = typer.Option("auto", "--precision", help="auto (fp16 on CUDA, bf16 on CPUs with AMX), fp32, bf16, fp16."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Minutes of training (validation not counted); then validate, save and stop."),
    clock: str = typer.Option("wall", "--clock", help="What --time-limit counts: wall (time on the clock) or cpu (this process's CPU time, all threads: the same budget on a busy machine)."),
    steps_per_epoch: Optional[int] = typer.Option(None, "--steps-per-epoch", min=1),
    threads: Optional[int] = threads_option("CPU threads for PyTorch (default: all cores)."),
    seed: int = typer.Option(0, "--seed"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from last.pt."),
    quiet: bool = quiet_option("No progress bar or per-epoch lines."),
) -> None:
    """Fine-tune IS-Net (or train U2-Net/U2-Net-P) on a dataset; progress shows loss and validation IoU."""
    from alphacut.errors import InputError

    if schedule not in ("cosine", "constant"):
        raise InputError("--schedule must be cosine or constant")
    if clock not in ("wall", "cpu"):
        raise InputError("--clock must be wall or cpu")
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise InputError("--precision must be auto, fp32, bf16 or fp16")
    if not (data / "manifest.json").is_file():
        raise InputError(f"{data}: not a dataset (no manifest.json); build one with 'alphacut dataset build'")
    from alphacut.adapt.train import TrainConfig, train as run_training

    grid = size.strip().lower() == "grid"
    if grid:
        from alphacut.adapt.grid import PIXELS_PER_ART_PIXEL, grid_training_size

        side, art_side = grid_training_size(data)
        typer.echo(f"art grid: {art_side} art pixels across, trained at {side} px ({PIXELS_PER_ART_PIXEL} per art pixel)", err=True)
    else:
        try:
            side = int(size)
        except ValueError:
            raise InputError(f"--size must be a number of pixels or 'grid', not {size!r}") from None
        if not 32 <= side <= 2048:
            raise InputError(f"--size {side}: choose 32 to 2048 pixels")
    config = TrainConfig(data=str(data), out=str(out), arch=arch, init=None if init.lower() == "none" or arch != "isnet" else init,
                         size=side, grid=grid, batch=batch, epochs=epochs, lr=lr, schedule=schedule, weight_decay=weight_decay, ssim=ssim,
                         patience=patience, pixel_art=pixel_art or grid, device=device, precision=precision, seed=seed,
                         time_limit=time_limit, clock=clock, steps_per_epoch=steps_per_epoch, threads=threads)
    with TrainingProgress(enabled=not quiet) as progress:
        result = run_training(config, resume=resume, report=progress.update)
    typer.echo(f"{out}: best val IoU {result.best_val_iou:.4f} (start {result.start_val_iou:.4f}); {result.stopped}", err=True)
    typer.echo(f"export with: alphacut export {out} --name NAME", err=True)


def export(
    run: Path = typer.Argument(..., help="Run folder (uses best.pt) or a checkpoint file."),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Register under this name for --model NAME."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Also (or only) write the ONNX file here."),
    overwrite: bool = overwrite_option("Replace an existing --out file or user model."),
) -> None:
    """Export a checkpoint to ONNX, verify it against PyTorch, and register it by name."""
    import tempfile

    from alphacut.adapt.export import export_onnx, spec_for_training
    from alphacut.adapt.train import load_checkpoint
    from alphacut.errors import InputError, ModelError, OutputError
    from alphacut.models.install import add_user_model
    from alphacut.models.registry import check_user_model_name, user_models

    if name is None and out is None:
        raise InputError("give --name to register the model, --out to write the file, or both")
    if name is not None:
        check_user_model_name(name)
        if name in user_models() and not overwrite:
            raise ModelError(f"a model named {name!r} exists; pass --overwrite to replace it or pick another name")
    if out is not None and out.exists() and not overwrite:
        raise OutputError(f"{out}: exists; pass --overwrite to replace it")
    network, config, state = load_checkpoint(run)
    with tempfile.TemporaryDirectory() as scratch:
        target = out or Path(scratch) / "model.onnx"
        result = export_onnx(network, config.size, target)
        typer.echo(f"exported {target} (epoch {state.get('epoch')}, val IoU {state.get('val_iou', float('nan')):.4f}; "
                   f"onnxruntime vs PyTorch max difference {result.max_difference:.1e})", err=True)
        if name is not None:
            spec = spec_for_training(name, config, target)
            add_user_model(spec, target)
            defaults = ",".join(f"{key}:{str(value).lower()}" for key, value in spec.refine_defaults)
            typer.echo(f"registered {name}: alphacut remove IMAGE --model {name}"
                       + (f" (refinement defaults {defaults}; --tuning overrides them)" if defaults else ""), err=True)


class TrainingProgress:
    """A Rich bar per epoch with the running loss, and a line per finished epoch with validation IoU."""

    def __init__(self, enabled: bool = True):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        from alphacut.cli.progress import stderr

        self.console = stderr
        self.enabled = enabled
        self.progress = Progress(TextColumn("[bold]epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]}"), TextColumn("val IoU {task.fields[val]}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=stderr, disable=not enabled)
        self.task = None
        self.steps = 0
        self.val = "-"

    def __enter__(self) -> "TrainingProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def update(self, event: str, data: dict) -> None:
        if event == "start":
            self.steps = data["steps_per_epoch"]
            self.val = f"{data['start_val_iou']:.4f}"
            if self.enabled:
                self.console.print(f"training {data['config'].arch} on {data['train']} samples "
                                   f"(val {data['val']}) on {data['device']}, {data['precision']}; "
                                   f"val IoU before training {data['start_val_iou']:.4f}")
            self.task = self.progress.add_task("train", total=self.steps, epoch=data["epoch"] + 1, loss="-", val=self.val)
        elif event == "step":
            done = (data["step"] - 1) % self.steps + 1
            self.progress.update(self.task, completed=done, epoch=data["epoch"] + 1, loss=f"{data['loss']:.3f}")
        elif event == "epoch":
            stats = data["stats"]
            self.val = f"{stats.val_iou:.4f}"
            if self.enabled:
                self.console.print(f"epoch {stats.epoch}: loss {stats.loss:.4f}, val IoU {stats.val_iou:.4f}, "
                                   f"MAE {stats.val_mae:.4f}, {stats.seconds:.0f} s, best {data['best_val_iou']:.4f}")
            self.progress.update(self.task, completed=0, epoch=stats.epoch + 1, val=self.val)
