"""One training job of the workflow: prepared files in, checkpoint and history out.

The loop itself is cnnstudy.train.fit; this module does what a job needs around it: check that
it can write before any work, load the splits (and the variant's budget of them), tie the
resume state to the exact settings and inputs, and write the outputs, deleting the resume
state only once they exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from cnnstudy.checkpoint import save_checkpoint
from cnnstudy.datasets import load_distorted, load_split, stratified_head
from cnnstudy.files import atomic_path, check_writable, md5sum
from cnnstudy.runtime import pick_device, pick_precision
from cnnstudy.tracking import tensorboard_writer, write_epoch
from cnnstudy.train import TrainSettings, fingerprint, fit, seeded_model


def run_training_job(
    *, run: dict[str, Any], spec: dict[str, Any], training: dict[str, Any], train_file: Path,
    validation_file: Path, distorted_file: Path | None, checkpoint_file: Path, history_file: Path,
    resume_file: Path, code: str, log: Callable[[str], None], progress_stream: TextIO | None = None,
    snapshot_folder: Path | None = None, tensorboard_folder: Path | None = None,
) -> dict[str, Any]:
    """Train the run ``run`` (its ``dataset``, ``variant`` and ``seed``) and write its checkpoint
    and per-epoch history; return the checkpoint's metadata.

    ``snapshot_folder``: keep the weights after every epoch there (``epoch{N}.pt``), for a
    calibration that scores each epoch afterwards (``benchmarks/calibration.py``); training
    itself never sees the test split. ``tensorboard_folder``: each epoch's curves as TensorBoard
    event files there (cnnstudy.tracking)."""
    for folder in (resume_file.parent, snapshot_folder, tensorboard_folder):  # before the first epoch's work
        if folder is not None:
            check_writable(folder)
    writer = None if tensorboard_folder is None else tensorboard_writer(tensorboard_folder)
    seed = int(run["seed"])
    settings = TrainSettings.from_config(training)
    device = pick_device(training["device"])
    precision = pick_precision(training["precision"], device)
    train_images, train_labels, _ = load_split(train_file)
    val_images, val_labels, _ = load_split(validation_file)
    if training["epoch_validation_images"] is not None:  # watched after every epoch; the budget check scores all
        watched = stratified_head(val_labels, training["epoch_validation_images"])
        val_images, val_labels = val_images[watched], val_labels[watched]
    split_digits = len(train_labels)
    keep = np.arange(split_digits)
    if training["train_images"] is not None:  # a variant's smaller budget: the first N, classes kept
        keep = stratified_head(train_labels, training["train_images"])
        train_images, train_labels = train_images[keep], train_labels[keep]
    distorted = None
    if distorted_file is not None:
        distorted = torch.from_numpy(load_distorted(distorted_file, split_digits)[:, keep])
    inputs = [train_file, validation_file] + ([distorted_file] if distorted_file else [])
    key = fingerprint(spec, training, seed, code, [md5sum(path) for path in inputs])  # every setting, once
    log(f"training {run['variant']} seed {seed}: {spec} on {len(train_labels)} images"
        f"{f' ({len(distorted)} distorted copies)' if distorted is not None else ''}, "
        f"{settings.epochs} epochs, batch {settings.batch_size}, {settings.optimizer} lr {settings.lr}, "
        f"device {device}, precision {precision}")
    with tqdm(total=settings.epochs * len(train_labels), file=progress_stream, unit="img",
              mininterval=10, disable=progress_stream is None, desc="training") as bar:
        model = seeded_model(spec, seed)
        history = fit(
            model, torch.from_numpy(train_images), torch.from_numpy(train_labels), torch.from_numpy(val_images),
            torch.from_numpy(val_labels), settings, seed, device, precision, distorted=distorted,
            resume_file=resume_file, resume_key=key, log=log, progress=bar.update,
            on_epoch_end=functools.partial(after_epoch, snapshot_folder, writer),
        )
    if writer is not None:
        writer.close()
    meta = {
        **run, "model": spec, "training": asdict(settings), "seed": seed, "epochs": len(history),
        "train_images": int(len(train_labels)),
        "device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "precision": precision, "threads": torch.get_num_threads(), "torch": str(torch.__version__),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        # every epoch's time, the parts before a resume included (the history keeps them)
        "wall_seconds": sum(row["seconds"] for row in history), "code": code, "fingerprint": key,
    }
    with atomic_path(history_file) as tmp:
        pd.DataFrame(history).to_csv(tmp, index=False)
    save_checkpoint(checkpoint_file, model, meta)
    resume_file.unlink(missing_ok=True)
    log(f"done in {meta['wall_seconds']:.1f}s: validation accuracy {history[-1]['val_accuracy']:.4f}")
    return meta


def after_epoch(snapshot_folder: Path | None, writer: Any, epoch: int, model: torch.nn.Module,
                row: dict[str, float]) -> None:
    """What a job keeps of each epoch beside the resume state: its weights, its curves."""
    if snapshot_folder is not None:
        save_checkpoint(snapshot_folder / f"epoch{epoch}.pt", model, {"epoch": epoch})
    if writer is not None:
        write_epoch(writer, epoch, row)
