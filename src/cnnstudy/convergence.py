"""Was a variant trained far enough? A verdict about trained accuracy needs models that are done.

"Far enough" means: training longer would not change the answer. Under a one-cycle or cosine
schedule a single run cannot show that. Its last epochs flatten because the learning rate
anneals, not because the model is done (a rule over the last two epochs passed the default's 10-epoch
4-conv runs, which twice the epochs lifted by 0.6 points), and its accuracy climbs through the
anneal at any budget (a rule over the last 30% of the summed learning rate failed every default
elastic run, which twice the epochs lifted by only 0.3: docs/calibration.md). So the budget is checked directly:
the variant's first seed is trained again with twice the epochs (rule ``train_budget``), and
it and every seed's run are scored on the whole validation split, carved from the training
digits. The test split
never decides what counts as trained.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

# a one-sided 95% quantile: fitted runs pass and runs that twice the epochs lift by 2 delta fail,
# each at least 95% of the time, when the lift's standard error is at most delta / Z
Z = 1.645


def budget_check(base_correct: np.ndarray, long_correct: np.ndarray, delta: float) -> dict[str, Any]:
    """The lift of twice the epochs: validation accuracy of the long run minus the mean of the
    base runs (every seed, same budget), paired on the same digits, and the verdict on it.

    ``base_correct``: [seeds, digits], ``long_correct``: [digits]. Against the mean of the seeds
    the lift is less noisy than against one run (3 seeds: a standard error about 0.8 of it).
    - trained far enough: the lift is below delta;
    - not trained far enough: the lift is delta or more;
    - cannot tell: the lift's standard error (over digits, with one pseudo-digit each way) exceeds
      delta / Z, so the split cannot tell a fitted variant (lift 0) from one that doubling lifts
      by 2 delta at 95% each; the verdict says how many validation digits would.
    """
    base = np.atleast_2d(np.asarray(base_correct, dtype=float))
    long = np.asarray(long_correct, dtype=float)
    if long.ndim != 1 or base.shape[1] != len(long):
        raise ValueError("the runs must be scored on the same validation digits")
    digits = len(long)
    z = long - base.mean(axis=0)
    lift = float(z.mean())
    spread = float(np.concatenate([z, [1.0, -1.0]]).var(ddof=1))  # per-digit variance, never zero
    se = math.sqrt(spread / digits)
    result = {"lift": lift, "se": se, "validation_digits": digits, "base_seeds": len(base),
              "base_accuracy": float(base.mean()), "long_accuracy": float(long.mean()), "trained": False}
    if se > delta / Z:
        needed = math.ceil(spread * (Z / delta) ** 2)
        return {**result, "verdict": "cannot tell",
                "why": f"{digits:,} validation digits cannot tell a lift of 0 from one of {200 * delta:.2f} pts "
                       f"(standard error {100 * se:.2f} pts); about {needed:,} would"}
    if lift >= delta:
        return {**result, "verdict": "not trained far enough",
                "why": f"twice the epochs raised validation accuracy {100 * lift:+.2f} pts, at least the margin "
                       f"{100 * delta:.2f}"}
    return {**result, "trained": True, "verdict": "trained far enough",
            "why": f"twice the epochs changed validation accuracy {100 * lift:+.2f} pts, less than the margin "
                   f"{100 * delta:.2f}"}


def fits(history: pd.DataFrame, min_train_accuracy: float) -> dict[str, Any]:
    """Whether one run fit its training digits by its last epoch (a model whose learning rate
    ran out before it fit them is not done, whatever its validation accuracy does)."""
    train = float(history["train_accuracy"].iloc[-1])
    result = {"last_train_accuracy": train, "best_val_accuracy": float(history["val_accuracy"].max())}
    if train < min_train_accuracy:
        return {**result, "fits": False,
                "why": f"training accuracy {100 * train:.2f}% < {100 * min_train_accuracy:.2f}%"}
    return {**result, "fits": True, "why": f"fits its training digits ({100 * train:.2f}%)"}
