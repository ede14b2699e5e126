"""Device, precision and batching shared by training and evaluation.

Datasets stay whole in memory as uint8 tensors; a batch is indexed out, normalised on the fly
and put in the memory layout its kernels run fastest on, so no per-sample Python code runs in
the loop.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

import torch

from cnnstudy.errors import ConfigError

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


def pick_device(requested: str = "auto") -> torch.device:
    """'auto' takes CUDA when present, else the CPU; 'cuda' without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"training.device: {requested!r} requested, but torch sees no CUDA GPU on this "
                          "machine; set it to 'auto' or 'cpu'")
    return torch.device(requested)


def cpu_supports_bf16() -> bool:
    """Native bf16 on this CPU, as torch will use it: the instructions exist and torch's kernels
    may use AVX-512 (``ATEN_CPU_CAPABILITY=avx2`` plays a laptop without it, and then gets fp32)."""
    checker = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    return bool(checker and checker()) and torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def pick_precision(requested: str, device: torch.device) -> str:
    """'auto': bf16 autocast on a CPU with native bf16 or a CUDA GPU that has it, else fp16 on
    CUDA (AMP with a grad scaler) and fp32 on other CPUs."""
    if requested != "auto":
        return requested
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_supports_bf16() else "fp32"


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def set_determinism(enabled: bool, device: torch.device) -> None:
    """Deterministic kernels (process-wide switch in torch); cuBLAS needs its workspace set.

    torch's deterministic mode also fills every new tensor with NaN, a debugging aid against
    kernels that read memory they never wrote; it costs time on every allocation of a training
    step and changes no result, so it stays off.
    """
    if enabled and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(enabled)
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.backends.cudnn.benchmark = not enabled


GLIBC_M_TRIM_THRESHOLD = -1
GLIBC_M_MMAP_THRESHOLD = -3
KEEP_BELOW_BYTES = 1 << 30


def keep_freed_memory() -> bool:
    """Make glibc keep freed blocks (below 1 GiB) for reuse instead of returning them to the OS.

    A CPU training step allocates and frees the same activations and oneDNN scratchpads every
    step; by default glibc unmaps large ones and the next step page-faults them back in, a cost
    paid every step (``tests/test_runtime.py`` counts the faults). The process keeps its peak
    memory instead. Process-wide, so jobs call it once at start. False where the C
    library is not glibc (nothing changes there).
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library this process runs on
    if mallopt is None:
        return False
    return bool(mallopt(GLIBC_M_MMAP_THRESHOLD, KEEP_BELOW_BYTES) and mallopt(GLIBC_M_TRIM_THRESHOLD, KEEP_BELOW_BYTES))


def has_depthwise(model: torch.nn.Module) -> bool:
    """Whether the net has a grouped (depth-wise) convolution."""
    return any(isinstance(m, torch.nn.Conv2d) and m.groups > 1 for m in model.modules())


def memory_format(device: torch.device, precision: str, model: torch.nn.Module) -> torch.memory_format:
    """channels_last for bf16/fp16, on GPUs and for nets with depth-wise convolutions, where its
    kernels are the fast ones (oneDNN's depth-wise kernels are NHWC: the separable 4-conv net
    trains about 1.6x faster in fp32 on an AVX2 CPU, docs/performance.md); plain NCHW for the
    other nets in fp32 on a CPU, where oneDNN's fp32 convolutions train CiresanNet faster
    without it (``python benchmarks/training.py`` on an AVX2-only CPU)."""
    if device.type == "cpu" and precision == "fp32" and not has_depthwise(model):
        return torch.contiguous_format
    return torch.channels_last


def place(model: torch.nn.Module, device: torch.device, precision: str) -> torch.nn.Module:
    """The model on its device, in the memory layout ``memory_format`` picks for it."""
    return model.to(device).to(memory_format=memory_format(device, precision, model))


def normalise(images: torch.Tensor, layout: torch.memory_format = torch.channels_last) -> torch.Tensor:
    """uint8 [B, H, W] -> normalised float [B, 1, H, W] in the given memory layout."""
    x = images.unsqueeze(1).float().div_(255.0).sub_(MNIST_MEAN).div_(MNIST_STD)
    return x.contiguous(memory_format=layout)


def index_batches(count: int, batch_size: int, order: torch.Tensor | None = None) -> Iterator[torch.Tensor]:
    order = torch.arange(count) if order is None else order
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]


@torch.no_grad()
def predict(
    model: torch.nn.Module, images: torch.Tensor, batch_size: int, device: torch.device, precision: str = "fp32"
) -> torch.Tensor:
    """Float32 logits [N, classes] of a whole split, in eval mode, in batches."""
    was_training = model.training
    model.eval()
    images = images.to(device)
    layout = memory_format(device, precision, model)
    outputs = []
    for index in index_batches(len(images), batch_size):
        with autocast(device, precision):
            outputs.append(model(normalise(images[index.to(device)], layout)).float())
    model.train(was_training)
    return torch.cat(outputs)
