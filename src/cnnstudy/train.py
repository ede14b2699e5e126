"""The training loop, in one file: seeded, resumable, guarded against divergence.

Whole splits live on the device as uint8; each epoch draws a permutation from a generator
seeded by (seed, epoch), so an epoch is reproducible on its own and a resumed run replays
exactly what an uninterrupted one would have done.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cnnstudy.checkpoint import load_weights, to_bytes
from cnnstudy.errors import CheckpointError, DivergenceError
from cnnstudy.files import write_bytes
from cnnstudy.jobs import one_line
from cnnstudy.models import build_model
from cnnstudy.readers import reason
from cnnstudy.runtime import autocast, index_batches, memory_format, normalise, place, predict, set_determinism
from cnnstudy.weightgrad import weight_grads_by_forward


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of one training run: the config's ``training`` block, whose defaults
    and meanings live in config/schema.yaml (``config.training_defaults`` reads them)."""

    epochs: int
    batch_size: int
    optimizer: str
    lr: float
    momentum: float
    weight_decay: float
    schedule: str
    label_smoothing: float
    deterministic: bool
    eval_batch_size: int
    distorted_share: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TrainSettings:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in config.items() if key in known})


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able parts: ties a resume state to its exact settings."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def make_optimizer(model: nn.Module, settings: TrainSettings, device: torch.device) -> torch.optim.Optimizer:
    """The configured optimizer (one of the schema's), fused (one kernel for all parameters) on CPU and CUDA."""
    fused = device.type in ("cpu", "cuda") or None
    if settings.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=settings.momentum,
                               nesterov=settings.momentum > 0, weight_decay=settings.weight_decay, fused=fused)
    adam = torch.optim.AdamW if settings.optimizer == "adamw" else torch.optim.Adam
    return adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay, fused=fused)


def learning_rate(settings: TrainSettings, step: int, total_steps: int) -> float:
    """Learning rate at a global step: constant, cosine decay, or one-cycle (warm-up 25%)."""
    progress = step / max(1, total_steps)
    if settings.schedule == "constant":
        return settings.lr
    if settings.schedule == "cosine":
        return settings.lr * 0.5 * (1 + math.cos(math.pi * progress))
    warmup = 0.25  # onecycle
    if progress < warmup:
        return settings.lr * (0.1 + 0.9 * progress / warmup)
    return settings.lr * 0.5 * (1 + math.cos(math.pi * (progress - warmup) / (1 - warmup)))


def epoch_images(clean: torch.Tensor, distorted: list[torch.Tensor], epoch: int, seed: int,
                 share: float) -> torch.Tensor:
    """The training images of one epoch: distorted copy (epoch - 1) mod K for a random ``share``
    of the digits (drawn anew each epoch), the clean digits for the rest. Training on distorted
    digits only never shows the net a clean one, which the test split holds."""
    copy = distorted[(epoch - 1) % len(distorted)]
    if share >= 1:
        return copy
    draw = torch.Generator().manual_seed(epoch_seed(seed, epoch) + 50_000)
    keep_clean = (torch.rand(len(clean), generator=draw) >= share).to(clean.device)
    return torch.where(keep_clean[:, None, None], clean, copy)


def validation_metrics(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                       settings: TrainSettings, device: torch.device, precision: str) -> tuple[float, float]:
    logits = predict(model, images, settings.eval_batch_size, device, precision)
    labels = labels.to(device)
    loss = F.cross_entropy(logits, labels).item()
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    return loss, accuracy


# What save_resume writes; a file without them is no resume state of this workflow.
RESUME_KEYS = frozenset({"fingerprint", "epoch", "model", "optimizer", "scaler", "history"})


def save_resume(path: Path, state: dict[str, Any]) -> None:
    write_bytes(path, to_bytes(state))


def load_resume(path: Path | None, key: str, log: Callable[[str], None]) -> dict[str, Any] | None:
    """The saved state of an interrupted run with the same fingerprint, if there is one."""
    if path is None or not path.exists():
        return None
    try:
        state = load_weights(path)
    except (OSError, CheckpointError) as error:  # a damaged resume state only costs the epochs it saved
        log(f"ignoring unreadable resume state: {one_line(error)}")
        return None
    if not isinstance(state, dict) or not RESUME_KEYS <= state.keys():
        log(f"ignoring resume state {path}: not one this workflow wrote (a {type(state).__name__} without "
            f"{', '.join(sorted(RESUME_KEYS))})")
        return None
    if state.get("fingerprint") != key:
        log(f"ignoring resume state {path}: it belongs to other settings")
        return None
    return state


def fit(
    model: nn.Module,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    val_images: torch.Tensor,
    val_labels: torch.Tensor,
    settings: TrainSettings,
    seed: int,
    device: torch.device,
    precision: str,
    distorted: torch.Tensor | None = None,
    resume_file: Path | None = None,
    resume_key: str = "",
    log: Callable[[str], None] = print,
    progress: Callable[[int], None] | None = None,
    on_epoch_end: Callable[[int, nn.Module, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` in place; return one history row per epoch.

    After every epoch the model is scored on the validation split (``val_*``), which is carved
    from the training digits: convergence is judged on it, never on the test split.
    ``distorted`` holds K distorted copies [K, N, H, W] of the training images: epoch e trains
    on copy (e - 1) mod K, for a random ``settings.distorted_share`` of its digits (drawn anew
    each epoch; the rest clean). After every epoch the full state goes to ``resume_file`` (if given),
    and a rerun with the same ``resume_key`` continues after the last finished epoch.
    ``progress`` is called with the number of images of each finished step.
    """
    set_determinism(settings.deterministic, device)
    layout = memory_format(device, precision, model)
    place(model, device, precision)
    optimizer = make_optimizer(model, settings, device)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    train_labels = train_labels.to(device).long()
    count = len(train_labels)
    steps_per_epoch = math.ceil(count / settings.batch_size)
    total_steps = steps_per_epoch * settings.epochs
    clean = train_images.to(device)
    copies = [] if distorted is None else list(distorted.to(device))

    history: list[dict[str, float]] = []
    first_epoch = 1
    lr_sum = 0.0  # the learning rate summed over steps: how far the schedule has carried the run
    state = load_resume(resume_file, resume_key, log)
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scaler.load_state_dict(state["scaler"])
        except (RuntimeError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"{resume_file}: a resume state of these settings whose weights do not load "
                                  f"({reason(error)}); delete it to train this run afresh") from None
        history = state["history"]
        first_epoch = state["epoch"] + 1
        lr_sum = history[-1]["lr_sum"]
        log(f"resuming after epoch {state['epoch']} from {resume_file}")
        if progress is not None:
            progress(state["epoch"] * count)  # the progress bar starts where the run resumes

    for epoch in range(first_epoch, settings.epochs + 1):
        started = time.perf_counter()
        torch.manual_seed(epoch_seed(seed, epoch))  # dropout and any other random op
        order = torch.randperm(count, generator=torch.Generator().manual_seed(epoch_seed(seed, epoch)))
        images = epoch_images(clean, copies, epoch, seed, settings.distorted_share) if copies else clean
        model.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for step, index in enumerate(index_batches(count, settings.batch_size, order.to(device))):
            lr = learning_rate(settings, (epoch - 1) * steps_per_epoch + step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            lr_sum += lr
            x, y = normalise(images[index], layout), train_labels[index]
            with autocast(device, precision), weight_grads_by_forward(device, precision):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=settings.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
            if step % 20 == 0:  # a host sync: not every step
                check_finite(epoch, lr, **{"training loss": loss_sum.item()})
            if progress is not None:
                progress(len(y))
        train_loss = loss_sum.item() / count
        val_loss, val_accuracy = validation_metrics(model, val_images, val_labels, settings, device, precision)
        # the loss of a step is computed before its update: the last update shows only in the weights
        largest = torch.stack([parameter.detach().abs().max() for parameter in model.parameters()]).max().item()
        check_finite(epoch, lr, **{"training loss": train_loss, "largest weight": largest, "validation loss": val_loss})
        row = {
            "epoch": epoch, "train_loss": train_loss, "train_accuracy": correct.item() / count,
            "val_loss": val_loss, "val_accuracy": val_accuracy,
            "lr": lr, "lr_sum": lr_sum, "seconds": time.perf_counter() - started,
        }
        history.append(row)
        log(f"epoch {epoch}/{settings.epochs}: train loss {train_loss:.4f} acc {row['train_accuracy']:.4f}, "
            f"validation loss {val_loss:.4f} acc {val_accuracy:.4f}, {row['seconds']:.1f}s")
        if resume_file is not None:
            save_resume(resume_file, {
                "fingerprint": resume_key, "epoch": epoch, "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "history": history,
            })
        if on_epoch_end is not None:
            on_epoch_end(epoch, model, row)
    return history


def epoch_seed(seed: int, epoch: int) -> int:
    """The one seed of an epoch (its shuffle, dropout, distorted share): an epoch replays alone."""
    return seed * 100_003 + epoch


def check_finite(epoch: int, lr: float, **values: float) -> None:
    """Stop at the first NaN or infinity, naming it: a diverged run writes no checkpoint."""
    for what, value in values.items():
        if not math.isfinite(value):
            raise DivergenceError(f"training diverged: {what} is {value} in epoch {epoch} (lr {lr:.3g}); "
                                  "lower training.lr")


def seeded_model(spec: dict[str, Any], seed: int) -> nn.Module:
    """The model of ``spec`` with the initial weights of ``seed``."""
    torch.manual_seed(seed)
    return build_model(spec)
