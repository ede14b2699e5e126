"""Parameter / MAC audits a reviewer can check by hand, cross-checked three ways.

* the project's counter: the hand formula (conv: Kh*Kw*(Cin/groups)*Cout*Ho*Wo per image,
  linear: in*out, matmul: n*k*m) applied to every conv / linear / matmul call, functional
  calls and ``@`` included, attributed to the module that made the call;
* ``thop.profile``: multiply-accumulates of nn modules only (no bias; functional calls and
  ``@`` unseen; it adds its own counts for norms and pooling);
* ``torch.utils.flop_counter.FlopCounterMode``: FLOPs = 2 x MACs of conv and matmul ops.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

from cnnstudy.timing import median_seconds

MB = 1024.0**2
CONV_OPS = {"conv1d", "conv2d", "conv3d"}
MATMUL_OPS = {"matmul", "__matmul__", "mm", "bmm"}
MATMUL_WITH_BIAS_OPS = {"addmm", "baddbmm"}  # bias first: (bias, left, right)


def conv_macs(weight_shape: torch.Size | tuple[int, ...], output: torch.Tensor) -> int:
    """Kh*Kw*(Cin/groups)*Cout*Ho*Wo, times the batch. The weight [Cout, Cin/groups, Kh, Kw]
    already holds the Cin/groups input channels each output channel sees."""
    return output.numel() * math.prod(weight_shape[1:])


def linear_macs(inputs: torch.Tensor, weight: torch.Tensor) -> int:
    """in*out per row of the input."""
    return (inputs.numel() // weight.shape[1]) * weight.shape[0] * weight.shape[1]


def matmul_macs(left: torch.Tensor, output: torch.Tensor) -> int:
    """Every output element costs k multiply-adds, k the shared (inner) dimension."""
    return output.numel() * left.shape[-1]


class OpRecorder(TorchFunctionMode):
    """Records the MACs of every conv / linear / matmul call, with the module that made it."""

    def __init__(self, stack: list[str]):
        super().__init__()
        self.stack = stack
        self.ops: list[dict[str, Any]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = getattr(func, "__name__", "")
        macs = None
        if name in CONV_OPS:
            weight = kwargs.get("weight", args[1] if len(args) > 1 else None)
            macs = conv_macs(weight.shape, out)
        elif name == "linear":
            weight = kwargs.get("weight", args[1] if len(args) > 1 else None)
            macs = linear_macs(args[0], weight)
        elif name in MATMUL_OPS:
            macs = matmul_macs(args[0], out)
        elif name in MATMUL_WITH_BIAS_OPS:
            macs = matmul_macs(args[1], out)
        if macs is not None:
            self.ops.append({"module": self.stack[-1], "op": name, "macs": int(macs)})
        return out


def is_container(module: nn.Module) -> bool:
    return isinstance(module, (nn.Sequential, nn.ModuleList, nn.ModuleDict))


def own_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters(recurse=False))


def shape_of(output: Any) -> list[int] | None:
    if isinstance(output, torch.Tensor):
        return [-1] + list(output.shape[1:])
    return None


def trace(model: nn.Module, example: torch.Tensor) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run one forward pass; return the module calls in order (torchsummary's set) and the ops."""
    stack = ["(top)"]
    calls: list[dict[str, Any]] = []
    handles = []
    names = {module: name for name, module in model.named_modules()}

    def pre_hook(module, _inputs):
        stack.append(names[module])

    def post_hook(module, _inputs, output):
        stack.pop()
        if module is not model and not is_container(module):
            calls.append({
                "layer": names[module],
                "type": type(module).__name__,
                "output_shape": shape_of(output),
                "params": own_parameters(module),
            })

    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    recorder = OpRecorder(stack)
    try:
        with torch.no_grad(), recorder:
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    return calls, recorder.ops


def thop_per_module(model: nn.Module, example: torch.Tensor) -> dict[str, float]:
    """thop's count per leaf module (on a throw-away copy: thop leaves buffers behind)."""
    import thop

    _, _, layers = thop.profile(copy.deepcopy(model), inputs=(example,), verbose=False, ret_layer_info=True)
    flat: dict[str, float] = {}

    def walk(prefix: str, tree: dict[str, Any]) -> None:
        for name, (ops, _params, children) in tree.items():
            full = f"{prefix}.{name}" if prefix else name
            if children:
                walk(full, children)
            else:
                flat[full] = float(ops)

    walk("", layers)
    return flat


def flopcounter_per_module(model: nn.Module, example: torch.Tensor) -> tuple[dict[str, int], int]:
    """FlopCounterMode's FLOPs per module FQN (its names start with the class name) and total."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(example)
    root = type(model).__name__
    per_module = {}
    for name, counts in counter.get_flop_counts().items():
        if name.startswith(root + "."):
            per_module[name[len(root) + 1 :]] = int(sum(counts.values()))
    return per_module, int(counter.get_total_flops())


def explain(row: dict[str, Any]) -> str:
    """Why the three counts of one row differ (empty when they agree)."""
    hand, thop_ops, flops = row["macs"], row["thop_macs"], row["flopcounter_flops"]
    notes = []
    if flops != 2 * hand:
        notes.append("FlopCounterMode sees ops the hand formula does not count")
    if thop_ops is None:
        if hand:
            notes.append("thop sees nn modules only: functional call / @ not counted")
    elif thop_ops != hand:
        kind = row["type"]
        if "Norm" in kind:
            notes.append("thop counts 2 ops per element for an affine norm (not MACs)")
        elif "Pool" in kind:
            notes.append("thop counts the additions of average pooling")
        elif hand == 0:
            notes.append(f"thop counts elementwise ops of {kind}")
        else:
            notes.append("thop differs from the formula")
    return "; ".join(notes)


def audit(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-layer table (torchsummary-like, plus three MAC counts) and totals for one image."""
    model = copy.deepcopy(model).eval()
    example = torch.zeros(1, *input_shape)
    calls, ops = trace(model, example)
    thop_counts = thop_per_module(model, example)
    flop_counts, total_flops = flopcounter_per_module(model, example)

    layer_names = {call["layer"] for call in calls}
    macs_by_module: dict[str, int] = {}
    for op in ops:
        if op["module"] in layer_names:
            macs_by_module[op["module"]] = macs_by_module.get(op["module"], 0) + op["macs"]
    modules = dict(model.named_modules())
    rows = []
    for call in calls:
        macs = macs_by_module.get(call["layer"], 0)
        leaf = next(modules[call["layer"]].children(), None) is None
        rows.append({
            **call,
            "macs": macs,
            "thop_macs": thop_counts.get(call["layer"]) if leaf else None,
            "flopcounter_flops": flop_counts.get(call["layer"], 0) if leaf else 2 * macs,
        })
    # ops called by a non-row module (functional code in forward) get rows of their own
    for index, op in enumerate(o for o in ops if o["module"] not in layer_names):
        rows.append({
            "layer": f"{op['module']}:{op['op']}#{index}", "type": f"functional {op['op']}",
            "output_shape": None, "params": 0, "macs": op["macs"], "thop_macs": None,
            "flopcounter_flops": 2 * op["macs"],
        })
    for row in rows:
        row["difference"] = explain(row)

    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    outputs = sum(math.prod(abs(d) for d in call["output_shape"]) for call in calls if call["output_shape"])
    memory = {
        "input_mb": math.prod(input_shape) * 4 / MB,
        "forward_backward_mb": 2 * outputs * 4 / MB,
        "params_mb": params * 4 / MB,
    }
    memory["total_mb"] = sum(memory.values())
    hand_total = sum(op["macs"] for op in ops)
    thop_total = sum(v for v in thop_counts.values())
    totals = {
        "params": params,
        "trainable_params": trainable,
        "macs": hand_total,
        "thop_macs": thop_total,
        "flopcounter_flops": total_flops,
        "flopcounter_macs": total_flops / 2,
        "input_shape": list(input_shape),
        **{key: round(value, 2) for key, value in memory.items()},
        "thop_vs_hand": total_difference(hand_total, thop_total, rows),
        "flopcounter_vs_hand": total_difference(hand_total, total_flops / 2, rows),
    }
    return rows, totals


def total_difference(hand: float, other: float, rows: list[dict[str, Any]]) -> str:
    """One sentence on why a total differs from the hand count."""
    if other == hand:
        return "equal"
    reasons = sorted({row["difference"] for row in rows if row["difference"]})
    return f"{other - hand:+,.0f} MACs: {'; '.join(reasons) or 'ops outside conv/linear/matmul'}"


def separable_costs(m: int, n: int, k: int, f: int) -> dict[str, int]:
    """Analytic MACs of a regular and a depth-wise separable conv (the original report's question 1)."""
    regular = k * k * m * n * f * f
    depthwise = k * k * m * f * f
    pointwise = m * n * f * f
    return {"regular_macs": regular, "separable_macs": depthwise + pointwise,
            "depthwise_macs": depthwise, "pointwise_macs": pointwise}


def conv_pair(m: int, n: int, k: int) -> tuple[nn.Module, nn.Module]:
    """A regular conv and its depth-wise separable counterpart, 'same' padding, no bias."""
    regular = nn.Conv2d(m, n, k, padding=k // 2, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(m, m, k, padding=k // 2, groups=m, bias=False),
        nn.Conv2d(m, n, 1, bias=False),
    )
    return regular, separable


def count_macs(model: nn.Module, example: torch.Tensor) -> int:
    """Total MACs of one forward pass by the project's counter."""
    _, ops = trace(model, example)
    return sum(op["macs"] for op in ops)


def median_latency(model: nn.Module, example: torch.Tensor, repeats: int, warmup: int) -> float:
    """Median wall time of a forward pass in seconds, after warm-up runs."""
    with torch.inference_mode():
        return median_seconds(lambda: model(example), repeats=repeats, warmup=warmup)


def separable_sweep(
    points: list[dict[str, int]], batch: int, repeats: int, warmup: int
) -> list[dict[str, Any]]:
    """Analytic vs counted MACs, parameters and measured CPU latency for each (M, N, D_k, D_f)."""
    rows = []
    for point in points:
        m, n, k, f = point["M"], point["N"], point["D_k"], point["D_f"]
        torch.manual_seed(0)
        regular, separable = (module.eval() for module in conv_pair(m, n, k))
        example = torch.randn(batch, m, f, f)
        costs = separable_costs(m, n, k, f)
        regular_s = median_latency(regular, example, repeats, warmup)
        separable_s = median_latency(separable, example, repeats, warmup)
        counted_regular = count_macs(regular, example[:1])
        counted_separable = count_macs(separable, example[:1])
        rows.append({
            "M": m, "N": n, "D_k": k, "D_f": f,
            **costs,
            "counted_regular_macs": counted_regular,
            "counted_separable_macs": counted_separable,
            "regular_params": sum(p.numel() for p in regular.parameters()),
            "separable_params": sum(p.numel() for p in separable.parameters()),
            "analytic_ratio": 1 / n + 1 / k**2,
            "counted_ratio": counted_separable / counted_regular,
            "regular_ms": regular_s * 1e3,
            "separable_ms": separable_s * 1e3,
            "measured_ratio": separable_s / regular_s,
        })
    return rows
