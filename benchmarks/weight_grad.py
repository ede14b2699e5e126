"""Benchmark: bf16 conv weight gradients, oneDNN's backward-weights kernel vs cnnstudy.weightgrad.

For each layer shape of CiresanNet and ResNet18 (batch 64) it times torch's own weight gradient
(aten.convolution_backward) against conv2d_weight_grad (one forward convolution) in the same run,
prints both and the ratio, and marks the shapes that cnnstudy routes (weightgrad.shape_is_routed).
Alternating runs, medians.
Usage: python benchmarks/weight_grad.py [--threads 2] [--repeats 15]
"""

from __future__ import annotations

import argparse
import functools
import statistics

import torch

from cnnstudy.timing import seconds
from cnnstudy.weightgrad import conv2d_weight_grad, shape_is_routed

# (model, batch, in channels, out channels, map side, kernel side)
SHAPES = [
    ("CiresanNet", 64, 1, 48, 28, 5),
    ("CiresanNet", 64, 48, 128, 14, 5),
    ("CiresanNet", 64, 128, 192, 7, 5),
    ("CiresanNet", 64, 192, 192, 7, 5),
    ("ResNet18", 64, 64, 64, 14, 3),
    ("ResNet18", 64, 128, 128, 7, 3),
    ("ResNet18", 64, 256, 256, 4, 3),
    ("ResNet18", 64, 512, 512, 2, 3),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    layout = torch.channels_last
    print(f"bf16 weight gradient, {args.threads} thread(s), medians of {args.repeats}")
    for model, batch, c_in, c_out, side, kernel in SHAPES:
        pad = kernel // 2
        x = torch.randn(batch, c_in, side, side).bfloat16().contiguous(memory_format=layout)
        weight = torch.randn(c_out, c_in, kernel, kernel).bfloat16().contiguous(memory_format=layout)
        grad = torch.randn(batch, c_out, side, side).bfloat16().contiguous(memory_format=layout)

        torch_kernel = functools.partial(torch.ops.aten.convolution_backward, grad, x, weight, None, [1, 1],
                                         [pad, pad], [1, 1], False, [0, 0], 1, [False, True, False])
        as_forward = functools.partial(conv2d_weight_grad, x, grad, (kernel, kernel), [pad, pad])
        times: dict[str, list[float]] = {"torch": [], "forward": []}
        for repeat in range(args.repeats + 2):
            for name, run in (("torch", torch_kernel), ("forward", as_forward)):
                took = seconds(run)
                if repeat >= 2:
                    times[name].append(took)
        ours, theirs = statistics.median(times["forward"]), statistics.median(times["torch"])
        routed = "routed" if shape_is_routed((side, side), tuple(weight.shape), (pad, pad)) else "left to torch"
        print(f"  {model:10s} {c_in:3d}->{c_out:3d} {side:2d}x{side:<2d} k{kernel}: torch {theirs * 1e3:6.2f} ms   "
              f"as forward {ours * 1e3:6.2f} ms   speed-up {theirs / ours:.2f}x   ({routed})")


if __name__ == "__main__":
    main()
