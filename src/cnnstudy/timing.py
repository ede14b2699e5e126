"""Wall-clock timing, one way for evaluation, the audit's sweep and the benchmarks.

On a GPU a call returns once its kernels are queued, so a time is taken only after the device's
queue has drained; medians, because one slow repeat (a page fault, another process) says
nothing about the code.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch


def seconds(work: Callable[[], Any], device: torch.device | None = None) -> float:
    """Wall time of one call of ``work``, on ``device`` (CPU when None) until its work is done."""
    start = time.perf_counter()
    work()
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def median_seconds(work: Callable[[], Any], repeats: int, warmup: int = 0,
                   device: torch.device | None = None) -> float:
    """Median of ``repeats`` timed calls after ``warmup`` untimed ones (caches, allocator, JIT)."""
    for _ in range(warmup):
        seconds(work, device)
    return statistics.median(seconds(work, device) for _ in range(repeats))
