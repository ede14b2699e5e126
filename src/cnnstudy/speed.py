"""How fast each variant trains and infers, measured on random weights, without training it.

A training step costs the same whatever the weights hold (dense float arithmetic), so the speed
claims need no trained model: the default run can judge them for variants it only audits. The
variants are timed interleaved, repeat after repeat (A, B, C, A, B, C, ...), so that a slow
spell of the machine (another job, a frequency change) falls on every variant alike and the
per-repeat ratios, not the raw times, carry the comparison.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F

from cnnstudy.models import build_model
from cnnstudy.runtime import memory_format, place
from cnnstudy.specs import MNIST_SHAPE
from cnnstudy.timing import median_seconds


def step_timer(spec: dict[str, Any], batch: int, seed: int = 0):
    """One AdamW training step (forward, backward, update) of the variant on a random batch, in
    the memory layout a CPU fp32 training job gives the net."""
    torch.manual_seed(seed)
    model = build_model(spec).train()
    cpu = torch.device("cpu")
    place(model, cpu, "fp32")
    images = torch.randn(batch, *MNIST_SHAPE).contiguous(memory_format=memory_format(cpu, "fp32", model))
    labels = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()

    return model, step


def time_variants(specs: dict[str, dict[str, Any]], batch: int, repeats: int, steps: int,
                  warmup: int) -> list[dict[str, Any]]:
    """Per variant and repeat: the median training step per image (ms) and the median
    single-image inference latency (ms), each over ``steps`` timed calls after ``warmup``."""
    # variants with the same spec (e.g. clean and elastic training) are one net: timed once
    timed_as = {}
    for name, spec in specs.items():
        timed_as[name] = next((other for other in timed_as.values() if specs[other] == spec), name)
    timers = {name: step_timer(specs[name], batch) for name in dict.fromkeys(timed_as.values())}
    rows = []
    for repeat in range(repeats):
        timed = {}
        for name, (model, step) in timers.items():
            first = warmup if repeat == 0 else 0
            model.train()
            step_seconds = median_seconds(step, steps, first)
            model.eval()
            with torch.inference_mode():
                latency = median_seconds(partial(model, torch.randn(1, *MNIST_SHAPE)), steps, first + 1)
            timed[name] = {"train_ms": 1e3 * step_seconds / batch, "latency_ms": 1e3 * latency}
        rows += [{"variant": name, "repeat": repeat, **timed[timed_as[name]]} for name in specs]
    return rows


def training_minutes(train_ms: float, images: int, epochs: int, seeds: int) -> float:
    """Core-minutes to train a variant as a run would: every seed for ``epochs`` epochs of
    ``images`` digits, plus the budget check's one run with twice the epochs. The speed audit's
    small batch costs more per digit than a training batch and validation is left out: an
    estimate from above (the default's 4-conv training jobs ran 1.7x faster per digit than its
    batch-4 step on an AVX2 CPU)."""
    return train_ms * images * epochs * (seeds + 2) / 60_000


def untrained_table(untrained: list[str], audits: dict[str, dict[str, Any]], timings: pd.DataFrame,
                    plans: dict[str, dict[str, Any]], train_digits: int) -> pd.DataFrame:
    """One row per variant a run audits but does not train: its cost from the audit, its
    measured training time, and what training it as the run's recipe (its ``plans`` entry:
    epochs, training digits, seeds) would cost here."""
    medians = timings.groupby("variant")["train_ms"].median() if len(timings) else pd.Series(dtype=float)
    rows = []
    for name in untrained:
        plan = plans[name]
        images = min(train_digits, plan["train_images"] or train_digits)
        train_ms = float(medians.get(name, math.nan))
        rows.append({"variant": name, "macs": int(audits[name]["macs"]), "params": int(audits[name]["params"]),
                     "train_ms": train_ms, "epochs": int(plan["epochs"]), "train_images": images,
                     "seeds": int(plan["seeds"]),
                     "core_minutes": training_minutes(train_ms, images, plan["epochs"], plan["seeds"])})
    return pd.DataFrame(rows, columns=["variant", "macs", "params", "train_ms", "epochs", "train_images", "seeds",
                                       "core_minutes"])


def untrained_line(row: dict[str, Any]) -> str:
    """What training an untrained variant costs, in one line (where to do it: cnnstudy.landing.WHERE_TO_TRAIN)."""
    minutes = row["core_minutes"]
    cost = ("" if math.isnan(minutes) else
            f"; training {row['seeds']} seeds and the budget check: up to about {minutes:,.0f} core-minutes here")
    return f"{row['variant']}: {row['macs'] / 1e6:,.1f} M MACs, {row['params'] / 1e6:,.2f} M parameters{cost}"
