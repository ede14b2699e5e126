"""Elastic distortion after Simard, Steinkraus & Platt (2003), vectorised over a batch.

Each image gets its own random displacement field: uniform noise in [-1, 1] per pixel and
axis, smoothed by a Gaussian of width ``sigma`` (zero padding, truncated at 4 sigma as in
``scipy.ndimage.gaussian_filter``) and scaled by ``alpha`` **pixels**; the image is then
resampled bilinearly at the displaced coordinates, with zeros outside.

Relation to torchvision's ``ElasticTransform(alpha, sigma)``: torchvision divides the field by
the image size and applies it on a [-1, 1] grid, so one of its units is half the image width;
its displacement in pixels is ``alpha_tv / 2``. Our ``alpha=34`` (Simard's MNIST value) is
torchvision's ``alpha=68``. torchvision also draws one field per call, shared by a whole batch.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian with scipy's radius (truncate=4)."""
    radius = int(4.0 * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    return (kernel / kernel.sum()).float()


def gaussian_matrix(size: int, sigma: float) -> torch.Tensor:
    """Banded [size, size] matrix M with (M @ x) = Gaussian filtering of x with zero padding."""
    kernel = gaussian_kernel(sigma)
    radius = (len(kernel) - 1) // 2
    offsets = torch.arange(size).view(1, -1) - torch.arange(size).view(-1, 1)
    inside = offsets.abs() <= radius
    return torch.where(inside, kernel[(offsets + radius).clamp(0, len(kernel) - 1)], torch.zeros(()))


def smooth(noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with zero padding of the last two axes of a tensor.

    On 28x28 images two small matrix products (rows, then columns) beat a 33-tap convolution
    (``python benchmarks/distortion.py``) and equal it: both compute the same zero-padded
    weighted sums.
    """
    if sigma <= 0:
        return noise
    height, width = noise.shape[-2:]
    rows, cols = gaussian_matrix(height, sigma), gaussian_matrix(width, sigma)
    return rows @ noise @ cols.T


def random_fields(
    count: int, height: int, width: int, alpha: float, sigma: float, generator: torch.Generator
) -> torch.Tensor:
    """Displacement fields [count, 2, H, W] in pixels: channel 0 is dy (rows), 1 is dx (columns)."""
    noise = torch.rand(count, 2, height, width, generator=generator) * 2 - 1
    return smooth(noise, sigma) * alpha


def warp(images: torch.Tensor, fields: torch.Tensor) -> torch.Tensor:
    """Bilinear resampling of float images [B, H, W] at (y + dy, x + dx); zeros outside."""
    batch, height, width = images.shape
    rows = torch.arange(height, dtype=torch.float32).view(1, height, 1)
    cols = torch.arange(width, dtype=torch.float32).view(1, 1, width)
    # grid_sample with align_corners=True maps -1..1 onto pixel centres 0..size-1
    y = (rows + fields[:, 0]) * (2.0 / (height - 1)) - 1.0
    x = (cols + fields[:, 1]) * (2.0 / (width - 1)) - 1.0
    grid = torch.stack((x, y), dim=-1)
    out = F.grid_sample(images.unsqueeze(1), grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return out.squeeze(1)


def elastic_distort(
    images: np.ndarray, alpha: float, sigma: float, seed: int, chunk: int = 4096
) -> np.ndarray:
    """Distort uint8 images [N, H, W]; deterministic for a given seed, one field per image."""
    generator = torch.Generator().manual_seed(seed)
    out = np.empty_like(images)
    _, height, width = images.shape
    for start in range(0, len(images), chunk):
        block = torch.from_numpy(images[start : start + chunk]).float()
        fields = random_fields(len(block), height, width, alpha, sigma, generator)
        warped = warp(block, fields)
        out[start : start + chunk] = warped.round().clamp(0, 255).to(torch.uint8).numpy()
    return out


def distorted_copies(images: np.ndarray, alpha: float, sigma: float, copies: int, seed: int) -> np.ndarray:
    """K independently distorted copies [K, N, H, W] of a training split."""
    return np.stack([elastic_distort(images, alpha, sigma, seed * 1_000_003 + k) for k in range(copies)])
