"""Plan a study: measured training throughput of every variant on this machine, and what
an epoch and the whole study cost at that rate.

Trains each variant of the config for a few steps with the project's loop (cnnstudy.train.fit)
and prints images/s, seconds per epoch of the dataset size given, and the total over epochs,
seeds and variants. Usage:
  python benchmarks/study_cost.py [--config config/config.yaml --overlay config/full.yaml]
                                  [--images 60000] [--steps 6] [--threads 2] [--device auto]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import yaml

from cnnstudy.config import variant_training
from cnnstudy.models import build_model
from cnnstudy.runtime import keep_freed_memory, pick_device, pick_precision
from cnnstudy.train import TrainSettings, fit


def merged(base: dict, overlay: dict) -> dict:
    """Snakemake's --configfile semantics: nested dicts merge, everything else replaces."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def throughput(spec: dict, settings: TrainSettings, steps: int, device: torch.device, precision: str) -> float:
    count = settings.batch_size * steps
    images = torch.randint(0, 256, (count, 28, 28), dtype=torch.uint8)
    labels = (torch.arange(count) % 10).to(torch.uint8)
    warm = TrainSettings(epochs=1, batch_size=settings.batch_size, deterministic=False)
    fit(build_model(spec), images[: 2 * settings.batch_size], labels[: 2 * settings.batch_size], images[:8],
        labels[:8], warm, 0, device, precision, log=lambda m: None)
    start = time.perf_counter()
    fit(build_model(spec), images, labels, images[:8], labels[:8], warm, 0, device, precision, log=lambda m: None)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--overlay", default="config/full.yaml")
    parser.add_argument("--images", type=int, default=60_000, help="training images per epoch")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keep_freed_memory()  # as a workflow job does (cnnstudy.jobs.job)
    config = yaml.safe_load(Path(args.config).read_text())
    if args.overlay:
        config = merged(config, yaml.safe_load(Path(args.overlay).read_text()))
    device = pick_device(args.device)
    seeds = len(config["run"]["seeds"])
    total = 0.0
    print(f"device {device}, {args.threads} thread(s); {args.images:,} images per epoch, {seeds} seed(s)")
    print(f"{'variant':24s} {'img/s':>8s} {'s/epoch':>9s} {'epochs':>6s} {'hours, all seeds':>17s}")
    for name, variant in config["variants"].items():
        training = {**config.get("training", {}), **variant_training(config, name)}
        settings = TrainSettings.from_config(training)
        precision = pick_precision(training.get("precision", "auto"), device)
        rate = throughput(variant["model"], settings, args.steps, device, precision)
        epoch = args.images / rate
        hours = epoch * settings.epochs * seeds / 3600
        total += hours
        print(f"{name:24s} {rate:8.0f} {epoch:9.0f} {settings.epochs:6d} {hours:17.1f}", flush=True)
    print(f"{'total':24s} {'':8s} {'':9s} {'':6s} {total:17.1f}")


if __name__ == "__main__":
    main()
