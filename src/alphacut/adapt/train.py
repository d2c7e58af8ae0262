"""Fine-tune IS-Net (weights from the installed ONNX) or train U2-Net / U2-Net-P from scratch.

AdamW on the BCE + IoU (+ SSIM) loss of every side output; validation IoU after each epoch;
``last.pt`` (model, optimizer, scaler, counters) after each epoch for ``--resume``; ``best.pt``
when validation IoU improves; early stopping after ``patience`` epochs without improvement.
The learning rate follows a cosine decay to zero over the run (the epochs or the time limit, whichever
ends first; Loshchilov & Hutter, SGDR, 2017). Mixed precision: fp16 on CUDA, bf16 on CPUs with native bf16 (AMX / AVX512-BF16), else fp32.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from alphacut.adapt.augment import AugmentSettings
from alphacut.adapt.data import SegmentationDataset
from alphacut.adapt.losses import deep_supervision_loss
from alphacut.adapt.networks import ARCHITECTURES, NestedUNet
from alphacut.config import DEFAULT_MODEL, default_threads
from alphacut.errors import DeviceError, InputError, ModelError, OutputError

LAST, BEST = "last.pt", "best.pt"


@dataclass
class TrainConfig:
    data: str
    out: str
    arch: str = "isnet"
    init: str | None = DEFAULT_MODEL  # installed model name or ONNX file with IS-Net weights; None: from scratch
    size: int = 320
    batch: int = 4
    epochs: int = 20
    lr: float = 1e-4
    schedule: str = "cosine"  # cosine: lr decays to 0 over the run (epochs or time limit, whichever ends first); constant
    weight_decay: float = 1e-4
    ssim: bool = False
    patience: int = 5
    pixel_art: bool = False  # nearest-neighbour resampling everywhere
    grid: bool = False  # samples at one pixel per art pixel, shown at ``size`` (alphacut.adapt.grid); no crops or small rotations
    device: str = "auto"
    precision: str = "auto"  # auto, fp32, bf16, fp16
    seed: int = 0
    time_limit: float | None = None  # minutes of training (validation not counted); then validate, save, stop
    clock: str = "wall"  # what time_limit counts: wall time, or this process's CPU time (all its threads; fair on a shared machine)
    steps_per_epoch: int | None = None  # cap (a random subset of the training split each epoch)
    threads: int | None = None

    @classmethod
    def from_dict(cls, record: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


@dataclass
class EpochStats:
    epoch: int
    loss: float
    val_iou: float
    val_mae: float
    seconds: float  # training time so far
    steps: int


@dataclass
class TrainResult:
    out: Path
    best_val_iou: float
    start_val_iou: float
    history: list[EpochStats] = field(default_factory=list)
    stopped: str = "epochs"


def grid_augmentation() -> AugmentSettings:
    """Augmentation that keeps the art grid: turns, flips and colour only (a crop or a small rotation
    resampled to the training size would give art pixels of uneven widths)."""
    return AugmentSettings(nearest=True, small_rotation=0.0, scale=(1.0, 1.0))


def _network(config: TrainConfig) -> NestedUNet:
    """The untrained network of ``config``; the published IS-Net has its batch norms folded, so a run
    initialised from it fine-tunes (and is stored) without them."""
    return ARCHITECTURES[config.arch](norm=not (config.arch == "isnet" and config.init))


def build_model(config: TrainConfig) -> NestedUNet:
    if config.arch not in ARCHITECTURES:
        raise ModelError(f"unknown architecture {config.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    if config.init and config.arch != "isnet":
        raise ModelError("--init loads IS-Net weights: use it with --arch isnet (U2-Net trains from scratch)")
    model = _network(config)
    if config.init:
        from alphacut.adapt.networks.onnx_weights import load_onnx_weights
        from alphacut.models import looks_like_path
        from alphacut.models.registry import get_spec
        from alphacut.models.store import installed_file

        path = Path(config.init) if looks_like_path(config.init) else installed_file(get_spec(config.init))
        load_onnx_weights(model, path)
    return model


def resolve_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceError("--device cuda: PyTorch sees no CUDA device (is the CUDA build of torch installed?)")
    if requested not in ("cpu", "cuda"):
        raise DeviceError(f"--device must be auto, cpu or cuda, not {requested!r}")
    return torch.device(requested)


def resolve_precision(requested: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32."""
    if requested == "auto":
        if device.type == "cuda":
            return torch.float16
        from alphacut.models.runtimes import cpu_has_native_bf16

        return torch.bfloat16 if cpu_has_native_bf16() else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[requested]


def evaluate(model: NestedUNet, loader: DataLoader, device: torch.device, dtype: torch.dtype | None) -> tuple[float, float]:
    """Mean per-image IoU (alpha >= 0.5) and MAE of the prediction (side output 0)."""
    model.eval()
    ious, maes = [], []
    with torch.no_grad(), torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
        for images, targets in loader:
            probability = torch.sigmoid(model(images.to(device))[0].float())
            targets = targets.to(device)
            maes.extend((probability - targets).abs().mean(dim=(1, 2, 3)).tolist())
            predicted, truth = probability >= 0.5, targets >= 0.5
            intersection = (predicted & truth).sum(dim=(1, 2, 3)).float()
            union = (predicted | truth).sum(dim=(1, 2, 3)).float()
            ious.extend(torch.where(union > 0, intersection / union.clamp(min=1), torch.ones_like(union)).tolist())
    model.train()
    return float(np.mean(ious)) if ious else math.nan, float(np.mean(maes)) if maes else math.nan


def _save(payload: dict, path: Path) -> None:
    staging = path.with_name(f".{path.name}.part")
    torch.save(payload, staging)
    staging.replace(path)


def train(
    config: TrainConfig, *, resume: bool = False, report: Callable[[str, dict], None] | None = None
) -> TrainResult:
    """Train per ``config``; ``report(event, data)`` receives "start", "step" and "epoch" events."""
    report = report or (lambda event, data: None)
    out = Path(config.out)
    last = out / LAST
    if resume:
        if not last.is_file():
            raise InputError(f"{out}: nothing to resume (no {LAST})")
        state = torch.load(last, map_location="cpu", weights_only=False)
        new_data = str(Path(config.data).resolve()) != str(Path(state["config"]["data"]).resolve())
        config = TrainConfig.from_dict({**state["config"], **_overrides(config)})
    else:
        new_data = False
        if last.exists():
            raise OutputError(f"{out}: holds a training run already; pass --resume to continue it or choose a new folder")
        state = None
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads or default_threads())
    device = resolve_device(config.device)
    dtype = resolve_precision(config.precision, device)

    augment_settings = grid_augmentation() if config.grid else AugmentSettings(nearest=config.pixel_art)
    train_set = SegmentationDataset(Path(config.data), "train", config.size, augment_settings, config.seed, grid=config.grid)
    val_set = SegmentationDataset(Path(config.data), "val", config.size, None, grid=config.grid)
    if len(train_set) == 0:
        raise InputError(f"{config.data}: the dataset has no training samples")
    if len(val_set) == 0:
        raise InputError(f"{config.data}: the dataset has no validation samples (build it with --val above 0)")
    val_loader = DataLoader(val_set, batch_size=config.batch)

    model = build_model(config) if state is None else _network(config)
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    history: list[EpochStats] = []
    epoch, step, elapsed, bad_epochs = 0, 0, 0.0, 0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        epoch, step, elapsed, bad_epochs = state["epoch"], state["step"], state["elapsed"], state["bad_epochs"]
        history = [EpochStats(**h) for h in state["history"]]
        best_iou, start_iou = state["best_val_iou"], state["start_val_iou"]
        if new_data:  # another validation set: the old best is no yardstick; measure where this one starts
            start_iou, _ = evaluate(model, val_loader, device, dtype)
            best_iou, bad_epochs = start_iou, 0
            _save({"config": asdict(config), "model": model.state_dict(), "val_iou": start_iou, "epoch": epoch}, out / BEST)
    else:
        out.mkdir(parents=True, exist_ok=True)
        start_iou, _ = evaluate(model, val_loader, device, dtype)
        best_iou = start_iou
        _save({"config": asdict(config), "model": model.state_dict(), "val_iou": start_iou, "epoch": 0}, out / BEST)

    steps_per_epoch = math.ceil(len(train_set) / config.batch)
    if config.steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.steps_per_epoch)
    report("start", {"config": config, "device": str(device), "precision": str(dtype or "fp32"),
                     "train": len(train_set), "val": len(val_set), "steps_per_epoch": steps_per_epoch,
                     "start_val_iou": start_iou, "epoch": epoch})
    stopped = "epochs"
    limit = config.time_limit * 60 if config.time_limit is not None else None
    now = time.process_time if config.clock == "cpu" else time.perf_counter
    total_steps = max(1, config.epochs * steps_per_epoch)
    model.train()
    while epoch < config.epochs:
        train_set.set_epoch(epoch)
        order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(config.seed * 1000 + epoch))
        loader = DataLoader(torch.utils.data.Subset(train_set, order[: steps_per_epoch * config.batch].tolist()),
                            batch_size=config.batch, drop_last=len(train_set) > config.batch)
        started, losses = now(), []
        for images, targets in loader:
            if config.schedule == "cosine":
                progress = step / total_steps
                if limit is not None:
                    progress = max(progress, (elapsed + now() - started) / limit)
                for group in optimizer.param_groups:
                    group["lr"] = config.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
            images, targets = images.to(device), targets.to(device)
            with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                sides = model(images)
            loss = deep_supervision_loss([s.float() for s in sides], targets, config.ssim)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            losses.append(loss.item())
            report("step", {"epoch": epoch, "step": step, "loss": losses[-1]})
            if limit is not None and elapsed + now() - started >= limit:
                break  # the epoch ends early; it is still validated and saved
        elapsed += now() - started
        epoch += 1
        val_iou, val_mae = evaluate(model, val_loader, device, dtype)
        stats = EpochStats(epoch, float(np.mean(losses)), val_iou, val_mae, round(elapsed, 1), step)
        history.append(stats)
        if val_iou > best_iou:
            best_iou, bad_epochs = val_iou, 0
            _save({"config": asdict(config), "model": model.state_dict(), "val_iou": val_iou, "epoch": epoch}, out / BEST)
        else:
            bad_epochs += 1
        _save({"config": asdict(config), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "scaler": scaler.state_dict(), "epoch": epoch, "step": step, "elapsed": elapsed,
               "bad_epochs": bad_epochs, "best_val_iou": best_iou, "start_val_iou": start_iou,
               "history": [asdict(h) for h in history]}, last)
        report("epoch", {"stats": stats, "best_val_iou": best_iou})
        if bad_epochs >= config.patience:
            stopped = f"early stop: no better validation IoU for {config.patience} epochs"
            break
        if limit is not None and elapsed >= limit:
            stopped = f"time limit of {config.time_limit:g} {'CPU ' if config.clock == 'cpu' else ''}min reached"
            break
    return TrainResult(out, best_iou, start_iou, history, stopped)


def _overrides(config: TrainConfig) -> dict:
    """On --resume, the stored config wins except for the data (a dataset grown by ``dataset build
    --merge``), how long to go on and where to run."""
    return {"data": config.data, "epochs": config.epochs, "time_limit": config.time_limit, "device": config.device,
            "threads": config.threads, "patience": config.patience}


def load_checkpoint(path: Path) -> tuple[NestedUNet, TrainConfig, dict]:
    """The model (eval mode) and config stored in ``best.pt``/``last.pt`` (or the run folder holding them)."""
    if path.is_dir():
        path = path / BEST
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
        config = TrainConfig.from_dict(state["config"])
    except Exception as exc:
        raise InputError(f"{path}: not an alphacut checkpoint ({exc})") from None
    model = _network(config)
    model.load_state_dict(state["model"])
    model.eval()
    return model, config, state
