"""Has a run converged? A verdict about converged accuracy needs converged models.

Judged on the validation split (carved from the training digits) and on the training
accuracy, never on the test split, so no test digit ever decides what counts as trained.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def convergence(history: pd.DataFrame, window: int, min_gain: float, min_train_accuracy: float) -> dict[str, Any]:
    """The rule, for one run's per-epoch history (early stopping's patience rule, applied after the fact):

    - plateau: no epoch of the last ``window`` raised the best validation accuracy so far by
      ``min_gain`` or more (the study's relevant difference: a model still gaining that much is
      not done at the resolution of the question; best-so-far, because a small validation
      split dips and recovers from epoch to epoch);
    - fit: the last epoch's training accuracy is at least ``min_train_accuracy`` (a model
      whose learning rate ran out before it fit its training digits plateaus too).
    A run of ``window`` epochs or fewer has no plateau to judge and has not converged.
    """
    validation = history["val_accuracy"].to_numpy(float)
    train = float(history["train_accuracy"].iloc[-1])
    result = {"best_val_accuracy": float(validation.max()), "last_train_accuracy": train,
              "val_gain": float("nan"), "converged": False}
    if len(validation) <= window:
        return {**result, "why": f"{len(validation)} epoch(s): the plateau needs more than {window}"}
    gain = float(validation[-window:].max() - validation[:-window].max())
    result["val_gain"] = gain
    if gain >= min_gain:
        return {**result, "why": f"best validation accuracy still rose {100 * gain:.2f} pts in the last {window} epochs"}
    if train < min_train_accuracy:
        return {**result, "why": f"training accuracy {100 * train:.2f}% < {100 * min_train_accuracy:.2f}%"}
    return {**result, "converged": True, "why": "plateau reached and training digits fit"}
