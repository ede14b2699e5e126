"""Benchmark: elastic distortion throughput on one CPU core, against a per-image scipy reference.

Prints images/s of the project's vectorised distortion and of Simard's per-image formulation
(scipy.ndimage.gaussian_filter + map_coordinates), measured in the same run, and their ratio.
Target: >= 1.5x.  Usage: python benchmarks/distortion.py [--images 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from cnnstudy.datasets import load_mnist5k
from cnnstudy.distort import elastic_distort
from cnnstudy.timing import seconds

TARGET = 1.5


def reference_distort(image: np.ndarray, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Simard's per-image formulation with scipy, the baseline of the distortion benchmark."""
    from scipy.ndimage import gaussian_filter, map_coordinates

    height, width = image.shape
    dy = gaussian_filter(rng.uniform(-1, 1, (height, width)), sigma, mode="constant") * alpha
    dx = gaussian_filter(rng.uniform(-1, 1, (height, width)), sigma, mode="constant") * alpha
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    warped = map_coordinates(image.astype(np.float64), [rows + dy, cols + dx], order=1, mode="constant")
    return np.clip(np.round(warped), 0, 255).astype(np.uint8)


def best_of(repeats: int, function) -> float:
    return min(seconds(function) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--reference-images", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    images, _, _ = load_mnist5k()
    images = images[: args.images]
    reference = images[: args.reference_images]

    ours = best_of(args.repeats, lambda: elastic_distort(images, 34, 4, seed=0))

    def run_reference() -> None:
        rng = np.random.default_rng(0)
        for image in reference:
            reference_distort(image, 34, 4, rng)

    theirs = best_of(args.repeats, run_reference)
    ours_rate, theirs_rate = len(images) / ours, len(reference) / theirs
    ratio = ours_rate / theirs_rate
    print(f"elastic distortion, 28x28, alpha 34 px, sigma 4 px, 1 thread, best of {args.repeats}")
    print(f"  project (vectorised torch): {ours_rate:10,.0f} images/s  ({len(images)} images)")
    print(f"  reference (scipy per image): {theirs_rate:9,.0f} images/s  ({len(reference)} images)")
    print(f"  ratio: {ratio:.1f}x  (target >= {TARGET}x: {'met' if ratio >= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
