"""Benchmark: training images/s of the project's loop against a naive reference loop.

Reference: a torchvision-style Dataset with per-sample transforms (ToTensor + Normalize),
a DataLoader, fp32 and contiguous tensors. Project: cnnstudy.train.fit (uint8 split in memory,
batched normalisation, channels_last, precision 'auto'). Same model, same batch size, same run.
Target on a 2-core CPU: >= 2x for CiresanNet.
Usage: python benchmarks/training.py [--images 1280] [--batch-size 64] [--threads 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from cnnstudy.datasets import load_mnist5k
from cnnstudy.models import build_model
from cnnstudy.runtime import pick_precision
from cnnstudy.train import TrainSettings, fit

TARGET = 2.0
MODELS = {"CiresanNet": {"family": "ciresan"}, "ResNet18": {"family": "resnet18"}}


class DigitDataset(Dataset):
    """The usual tutorial dataset: one PIL-free numpy digit at a time through transforms."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.transform(self.images[index]), int(self.labels[index])


def naive_epoch(spec, images, labels, batch_size: int) -> float:
    torch.manual_seed(0)
    model = build_model(spec)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(DigitDataset(images, labels), batch_size=batch_size, shuffle=True, num_workers=0)
    model.train()
    start = time.perf_counter()
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return len(labels) / (time.perf_counter() - start)


def project_epoch(spec, images, labels, batch_size: int, precision: str) -> float:
    torch.manual_seed(0)
    model = build_model(spec)
    settings = TrainSettings(epochs=1, batch_size=batch_size, deterministic=False)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    start = time.perf_counter()
    fit(model, x, y, x[:8], y[:8], settings, seed=0, device=torch.device("cpu"), precision=precision,
        log=lambda message: None)
    return len(labels) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1280)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each loop; medians compared")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    all_images, all_labels, _ = load_mnist5k()
    images, labels = all_images[: args.images], all_labels[: args.images]
    precision = pick_precision("auto", torch.device("cpu"))
    print(f"training throughput, {args.images} images, batch {args.batch_size}, {args.threads} thread(s), "
          f"project precision {precision}")
    for name, spec in MODELS.items():
        naive_epoch(spec, images[:128], labels[:128], args.batch_size)  # warm-up both paths
        project_epoch(spec, images[:128], labels[:128], args.batch_size, precision)
        naive_runs, project_runs = [], []
        for _ in range(args.repeats):  # alternate, so a noisy neighbour hits both alike
            naive_runs.append(naive_epoch(spec, images, labels, args.batch_size))
            project_runs.append(project_epoch(spec, images, labels, args.batch_size, precision))
        naive, ours = statistics.median(naive_runs), statistics.median(project_runs)
        verdict = f"  (target >= {TARGET}x: {'met' if ours / naive >= TARGET else 'NOT met'})" if name == "CiresanNet" else ""
        print(f"  {name:10s} naive {naive:7.1f} img/s   project {ours:7.1f} img/s   ratio {ours / naive:.2f}x{verdict}"
              f"   (medians of {args.repeats})")


if __name__ == "__main__":
    main()
