"""Weight gradients of small-map convolutions as forward convolutions (bf16 training on CPU).

On CPUs with AVX512-BF16 but no AMX, oneDNN's bf16 backward-weights kernel is the slow part of
a training step: on small maps with many channels it is slower than the forward kernel, which
bf16 speeds up well. For a stride-1 convolution the
weight gradient is itself a convolution of the output gradient with the input, each with its
batch and channel axes swapped (see ``conv2d_weight_grad``). That goes through the fast forward
kernel. It pays on small maps with wide weights (large maps make a huge kernel, narrow weights a
tiny output), so ``weight_grads_by_forward`` routes stride-1 bf16 convolutions with outputs of
at most ``MAX_OUTPUT_PIXELS`` pixels and at least ``MIN_FAN_IN`` inputs per output channel
(C_in x kh x kw) and leaves every other call to PyTorch; the two thresholds come from
``benchmarks/weight_grad.py``, which measures both ways layer by layer.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch.autograd.function import once_differentiable
from torch.overrides import TorchFunctionMode

MAX_OUTPUT_PIXELS = 7 * 7
MIN_FAN_IN = 2048


def conv2d_weight_grad(x: torch.Tensor, grad_output: torch.Tensor, kernel_size: tuple[int, int],
                       padding: list[int]) -> torch.Tensor:
    """dL/dW of a stride-1, undilated, ungrouped conv2d, as one forward convolution.

    Correlating the output gradient (batch and channel axes swapped, padded by k-1-p) with the
    input (axes swapped, as the kernel) gives the weight gradient flipped in space; in that order
    the result already has the weight's channels_last layout, so only the cheap flip is left.
    """
    layout = torch.channels_last
    inputs = grad_output.transpose(0, 1).contiguous(memory_format=layout)  # [C_out, N, H', W']
    kernel = x.transpose(0, 1).contiguous(memory_format=layout)  # [C_in, N, H, W]
    padding = [size - 1 - pad for size, pad in zip(kernel_size, padding)]
    grad = torch.ops.aten.convolution(inputs, kernel, None, [1, 1], padding, [1, 1], False, [0, 0], 1)
    return grad.flip(2, 3)  # [C_out, C_in, kh, kw]


class _Conv2dForwardWeightGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                padding: list[int]) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.padding = padding
        ctx.has_bias = bias is not None
        return torch.ops.aten.convolution(x, weight, bias, [1, 1], padding, [1, 1], False, [0, 0], 1)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        grad_output = grad_output.contiguous(memory_format=torch.channels_last)
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.ops.aten.convolution_backward(
                grad_output, x, weight, None, [1, 1], ctx.padding, [1, 1], False, [0, 0], 1,
                [True, False, False])[0]
        if ctx.needs_input_grad[1]:
            grad_weight = conv2d_weight_grad(x, grad_output, tuple(weight.shape[2:]), ctx.padding)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None


def _pair(value: int | tuple[int, ...] | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[-1]))


def _conv2d_arguments(input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                      stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1) -> tuple:
    return input, weight, bias, stride, padding, dilation, groups


def shape_is_routed(map_size: tuple[int, int], weight_shape: tuple[int, ...], padding: tuple[int, int]) -> bool:
    """The shape rule of a stride-1 conv: small output map, wide weight (module docstring)."""
    _, fan_in_channels, kernel_h, kernel_w = weight_shape
    if fan_in_channels * kernel_h * kernel_w < MIN_FAN_IN:
        return False
    pad_h, pad_w = padding
    if pad_h >= kernel_h or pad_w >= kernel_w:
        return False
    out_h = map_size[0] + 2 * pad_h - kernel_h + 1
    out_w = map_size[1] + 2 * pad_w - kernel_w + 1
    return out_h * out_w <= MAX_OUTPUT_PIXELS


def forward_weight_grad_applies(x: torch.Tensor, weight: torch.Tensor, stride: Any, padding: Any,
                                dilation: Any, groups: int, dtype: torch.dtype) -> bool:
    """Whether a conv2d call is one this module computes faster: see the module docstring."""
    if not (torch.is_grad_enabled() and weight.requires_grad and x.device.type == "cpu" and x.dim() == 4):
        return False
    if dtype != torch.bfloat16 or groups != 1 or isinstance(padding, str):
        return False
    if _pair(stride) != (1, 1) or _pair(dilation) != (1, 1):
        return False
    return shape_is_routed(tuple(x.shape[2:]), tuple(weight.shape), _pair(padding))


class _RouteConv2d(TorchFunctionMode):
    """Sends eligible ``conv2d`` calls (under bf16 autocast) through the forward weight gradient."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not torch.conv2d:
            return func(*args, **kwargs)
        x, weight, bias, stride, padding, dilation, groups = _conv2d_arguments(*args, **kwargs)
        autocasting = torch.is_autocast_enabled("cpu")
        dtype = torch.get_autocast_dtype("cpu") if autocasting else weight.dtype
        if not forward_weight_grad_applies(x, weight, stride, padding, dilation, groups, dtype):
            return func(*args, **kwargs)
        # Cast as autocast would, outside the Function, so fp32 master weights get fp32 grads.
        x, weight = x.to(dtype), weight.to(dtype)
        bias = bias.to(dtype) if bias is not None else None
        with torch.autocast("cpu", enabled=False):
            return _Conv2dForwardWeightGrad.apply(x, weight, bias, list(_pair(padding)))


def cpu_lacks_amx() -> bool:
    """With AMX, oneDNN has a fast bf16 backward-weights kernel of its own."""
    checker = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return not (checker and checker())


def weight_grads_by_forward(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Context for a training forward pass: routes small-map conv weight gradients (bf16 CPU only)."""
    if device.type == "cpu" and precision == "bf16" and cpu_lacks_amx():
        return _RouteConv2d()
    return contextlib.nullcontext()
