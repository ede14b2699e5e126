"""Score every epoch of calibration runs: validation accuracy (from training), test accuracy
(of each epoch's kept weights, computed here afterwards) and wall time, and the epoch at which
validation accuracy stopped improving.

The runs come from the workflow with `training.snapshots: true` (config/calibration.yaml). The
epoch is chosen on the validation split only: the first epoch after which no later epoch raises
the best validation accuracy by --threshold or more (default 0.05 pts, 3 of the 6,000 validation
digits). Under a one-cycle schedule accuracy keeps rising while the learning rate anneals, so a
rule that looks only a few epochs ahead would stop in the noisy high-rate middle. The test column
is reported, never used to choose. Usage:
  python benchmarks/calibration.py results/mnist/ciresan-4conv/seed0 [...] [--threshold 0.0005]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pandas as pd
import torch

from cnnstudy.datasets import load_split
from cnnstudy.metrics import evaluate
from cnnstudy.models import build_model
from cnnstudy.runtime import pick_device, pick_precision


def plateau_epoch(validation: list[float], threshold: float) -> int | None:
    """The first epoch (1-based) after which no later epoch raised the best validation accuracy
    by ``threshold`` or more; None when the last epoch still did."""
    for epoch in range(1, len(validation)):
        if max(validation[epoch:]) - max(validation[:epoch]) < threshold:
            return epoch
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders results/<dataset>/<variant>/seed<N>")
    parser.add_argument("--threshold", type=float, default=0.0005, help="a gain in validation accuracy worth an epoch")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device("auto")
    precision = pick_precision("auto", device)
    for run in map(Path, args.runs):
        dataset, variant = run.parts[-3], run.parts[-2]
        test_images, test_labels, _ = load_split(Path(*run.parts[:-2]) / "data" / "test.npz")
        history = pd.read_csv(run / "history.csv")
        spec = torch.load(run / "model.pt", weights_only=True)["meta"]["model"]
        rows = []
        for row in history.itertuples():
            model = build_model(spec)
            model.load_state_dict(torch.load(run / "epochs" / f"epoch{row.epoch}.pt", weights_only=True)["state_dict"])
            model.to(device)
            metrics, _, _ = evaluate(model, test_images, test_labels, 1000, device, precision)
            rows.append({"epoch": row.epoch, "val_accuracy": row.val_accuracy, "test_accuracy": metrics["accuracy"],
                         "train_accuracy": row.train_accuracy, "wall_minutes": history["seconds"][:row.epoch].sum() / 60})
        table = pd.DataFrame(rows)
        chosen = plateau_epoch(table["val_accuracy"].tolist(), args.threshold)
        print(f"\n{dataset} {variant} ({run.name}), {len(table)} epochs; validation accuracy stopped rising by "
              f"{100 * args.threshold:.2f} pts after epoch {chosen if chosen else 'none (still rising at the end)'}")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
