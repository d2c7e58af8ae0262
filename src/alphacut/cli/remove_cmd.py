"""``alphacut remove``: cut out images, folders, globs or stdin."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from alphacut.cli.options import (
    Device, EngineChoice, Fit, RuntimeChoice, device_option, max_frames_option, max_pixels_option, model_option,
    overwrite_option, quiet_option, runtime_option, threads_option,
)
from alphacut.config import PNG_LEVEL


def remove(
    inputs: List[str] = typer.Argument(..., metavar="INPUT...", help="Image files, folders (recursive), globs, or - for stdin."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Output file (one input) or folder; - for stdout."),
    model: str = model_option(),
    mask: bool = typer.Option(False, "--mask", help="Write the grey alpha mask instead of a cutout."),
    bg: Optional[str] = typer.Option(None, "--bg", metavar="COLOR", help="Put the subject on a colour: white, #rrggbb, r,g,b."),
    bg_image: Optional[Path] = typer.Option(None, "--bg-image", metavar="FILE", help="Put the subject on an image."),
    bg_fit: Fit = typer.Option(Fit.fill, "--bg-fit", help="How --bg-image covers the frame."),
    crop: bool = typer.Option(False, "--crop", help="Crop to the subject's bounding box."),
    margin: int = typer.Option(0, "--margin", min=0, help="Pixels kept around the subject with --crop."),
    bg_blur: Optional[float] = typer.Option(None, "--bg-blur", min=0.5, metavar="SIGMA", help="Put the subject on its own photo, painted out and blurred."),
    shadow: Optional[str] = typer.Option(None, "--shadow", help="Add a drop or contact shadow under the subject."),
    harmonize: Optional[float] = typer.Option(None, "--harmonize", min=0.0, max=1.0, help="Match the subject's colours to the new background (0-1)."),
    ecommerce: Optional[int] = typer.Option(None, "--ecommerce", min=16, metavar="SIZE", help="Square SIZE px canvas, subject centred with a margin, white unless --bg."),
    preset: str = typer.Option("auto", "-p", "--preset", help="auto, photo, fast, portrait, product, graphic, pixel-art or raw."),
    threshold: Optional[float] = typer.Option(None, "--threshold", min=0.0, max=1.0, help="Binary alpha: opaque where alpha >= T."),
    keep_soft: bool = typer.Option(False, "--keep-soft", help="Soft alpha even where the preset binarises."),
    main_subject: bool = typer.Option(False, "--main-subject", help="Keep the dominant subject, drop bystanders."),
    decontaminate: Optional[bool] = typer.Option(None, "--decontaminate/--no-decontaminate", help="Remove background colour from soft edges (preset default)."),
    matting: Optional[str] = typer.Option(None, "--matting", help="Edge matting: guided, cf or none (preset default)."),
    tta: Optional[int] = typer.Option(None, "--tta", help="Average the model over 1, 2 (mirror) or 4 input variants."),
    tuning: Optional[str] = typer.Option(None, "--tuning", metavar="KEY:VALUE,...", help="Any other refinement setting, e.g. band:0.01,guided_eps:1e-4 (as alphacut eval pipelines take them)."),
    fmt: Optional[str] = typer.Option(None, "-f", "--format", help="png (default), webp, jpg, gif or tiff."),
    png_level: int = typer.Option(PNG_LEVEL, "--png-level", min=0, max=9, help="PNG zlib level: 1 fast (default), 6-9 about 15% smaller files, 4x the encoding time."),
    skip_existing: bool = typer.Option(False, "--skip-existing", help="Skip inputs whose output exists (resume a run)."),
    overwrite: bool = overwrite_option(),
    device: Device = device_option(),
    runtime: RuntimeChoice = runtime_option(),
    threads: Optional[int] = threads_option(),
    max_pixels: Optional[int] = max_pixels_option(),
    max_frames: Optional[int] = max_frames_option(),
    quiet: bool = quiet_option("No progress bar or summary (failures are still printed)."),
    engine: EngineChoice = typer.Option(EngineChoice.local, "--engine", help="local (this process) or ray (Ray Data: a cluster, or a local Ray)."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", metavar="ADDR", help="Ray cluster to join (ray://head:10001 or auto); default: start a local Ray."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Ray engine: model workers (default: one per GPU, or per 4 CPUs)."),
    point: Optional[List[str]] = typer.Option(None, "--point", metavar="X,Y", help="Keep only the whole object under this pixel (repeatable; one image)."),
    point_off: Optional[List[str]] = typer.Option(None, "--point-off", metavar="X,Y", help="Leave out the object under this pixel (repeatable)."),
    box: Optional[str] = typer.Option(None, "--box", metavar="X0,Y0,X1,Y1", help="Keep only the objects lying mostly inside this box (one image)."),
) -> None:
    """Remove the background: write RGBA cutouts (or masks, or new backgrounds)."""
    from alphacut.cli.progress import BatchProgress, print_failures
    from alphacut.engines import STDIO, EngineConfig, RayReport, check_targets, plan_jobs, prepare, require_ray
    from alphacut.errors import OptionError, OutputError
    from alphacut.io.encode import normalise_format
    from alphacut.io.limits import decode_limits
    from alphacut.pipeline import RemoveOptions

    if overwrite and skip_existing:
        raise OutputError("--overwrite and --skip-existing exclude each other")
    out_fmt = normalise_format(fmt) if fmt else None
    limits = decode_limits(max_pixels, max_frames)  # a bad ALPHACUT_MAX_* fails here, once, not per file
    options = RemoveOptions.from_user(
        bg=bg, bg_image=bg_image, bg_fit=bg_fit.value, bg_blur=bg_blur, shadow=shadow, harmonize=harmonize,
        ecommerce=ecommerce, tuning=tuning, max_pixels=limits.max_pixels, mask=mask, crop=crop, margin=margin,
        preset=preset, threshold=threshold, keep_soft=keep_soft, main_subject=main_subject,
        decontaminate=decontaminate, matting=matting, tta=tta,
    )
    picking = bool(point or point_off or box)
    if picking:
        from alphacut.cli.picking import parse_clicks

        clicks = parse_clicks(point, point_off, box)
        if engine is EngineChoice.ray or len(inputs) != 1 or skip_existing:
            raise OptionError("--point, --point-off and --box pick objects in one image: give one input, local engine")
    if engine is EngineChoice.ray:
        require_ray()
    elif ray_address or workers:
        raise OutputError("--ray-address and --workers go with --engine ray")
    plan = plan_jobs(inputs, output, out_fmt, mask=mask)
    jobs, skipped, refused = check_targets(plan.jobs, overwrite=overwrite, skip_existing=skip_existing)
    failures = plan.failures + refused
    final_fmt = out_fmt or _format_of(jobs)
    if final_fmt == "JPEG" and options.has_transparency:
        raise OutputError("JPEG has no transparency: add --bg COLOR or --mask, or write png/webp")

    if picking:
        _remove_picked(plan, jobs, failures, clicks, quiet, EngineConfig(
            model=model, device=device.value, runtime=runtime.value, threads=threads, options=options, fmt=final_fmt,
            max_pixels=limits.max_pixels, max_frames=limits.max_frames, overwrite=overwrite, png_level=png_level))
        return
    report = None
    if jobs:
        from alphacut.cli.progress import settle_on_first_run

        settle_on_first_run(model, runtime=runtime.value, device=device.value, threads=threads, quiet=quiet)
        config = EngineConfig(
            model=model, device=device.value, runtime=runtime.value, threads=threads, options=options, fmt=final_fmt,
            max_pixels=limits.max_pixels, max_frames=limits.max_frames, overwrite=overwrite,
            skip_existing=skip_existing, png_level=png_level, workers=workers, address=ray_address,
        )
        runner = prepare(config, engine=engine.value)  # the model loads before the progress bar shows
        show = not quiet and not any(job.target == STDIO for job in jobs)
        with BatchProgress(len(jobs), enabled=show) as progress:
            report = runner(jobs, on_finished=progress.advance)
        failures += report.failures
        skipped += report.skipped
        if not quiet and report.unbatched_predictions:
            print(f"{report.unbatched_predictions} batched model call(s) failed; their images ran one at a time "
                  "(same results, slower)", file=sys.stderr)
        if not quiet and isinstance(report, RayReport) and report.worker_peak_rss_mib:
            peaks = ", ".join(f"{mib} MiB" for mib in sorted(report.worker_peak_rss_mib.values(), reverse=True))
            print(f"peak memory per worker: {peaks}", file=sys.stderr)
    print_failures(failures)  # errors are not progress: -q keeps them
    if not quiet:
        written = report.written if report else 0
        if not any(job.target == STDIO for job in jobs):
            where = f" -> {jobs[0].target}" if len(jobs) == 1 and written else ""
            summary = f"{written} written, {skipped} skipped, {len(failures)} failed{where}"
            print(summary, file=sys.stderr)
    if failures:
        raise typer.Exit(1)


def _remove_picked(plan, jobs, failures, clicks, quiet: bool, config) -> None:
    """``--point/--box``: one image, the picked objects only (:func:`alphacut.cli.picking.remove_picked`)."""
    from alphacut.cli.picking import remove_picked
    from alphacut.cli.progress import print_failures
    from alphacut.engines import STDIO
    from alphacut.errors import InputError

    if len(plan.jobs) + len(plan.failures) != 1:
        raise InputError("--point, --point-off and --box pick objects in one image: give one image file")
    if failures:
        print_failures(failures)
        raise typer.Exit(1)
    kept = remove_picked(jobs[0], config, *clicks)
    if not quiet and jobs[0].target != STDIO:
        print(f"kept {100 * kept:.1f}% of the image (the picked objects) -> {jobs[0].target}", file=sys.stderr)


def _format_of(jobs) -> str:
    from alphacut.io.encode import FORMATS_BY_EXTENSION

    for job in jobs:
        if job.target != "-":
            return FORMATS_BY_EXTENSION.get(Path(job.target).suffix.lower(), "PNG")
    return "PNG"
