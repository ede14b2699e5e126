"""Synthetic studies of known truth, for the statistical tests: paired predictions of two
variants on the same test digits, one row per seed.

A digit has a difficulty h ~ N(0, 1); a run of a variant gets it right when h + noise * e < tau
+ r, with e ~ N(0, 1) fresh for every run and digit and r ~ N(0, run_sd) fresh for every run.
``noise`` sets how often two runs of one variant disagree (0.19: about 0.55% of the digits at
99% accuracy, as two 4-conv nets on full MNIST did); ``run_sd`` sets how far a run's accuracy
moves from seed to seed. The truth is the expected accuracy difference over digits and runs,
which has a closed form.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

NOISE = 0.19


def threshold(accuracy: float, noise: float = NOISE) -> float:
    """tau that gives ``accuracy`` on average (no run shift)."""
    return float(scipy_stats.norm.ppf(accuracy) * math.sqrt(1 + noise**2))


def expected_accuracy(tau: float, run_sd: float = 0.0, noise: float = NOISE) -> float:
    return float(scipy_stats.norm.cdf(tau / math.sqrt(1 + noise**2 + run_sd**2)))


def run_sd_for(points: float, accuracy: float = 0.99, noise: float = NOISE) -> float:
    """The run shift sd that moves one run's accuracy by ``points`` (sd, in points)."""
    tau = threshold(accuracy, noise)
    slope = scipy_stats.norm.pdf(tau / math.sqrt(1 + noise**2)) / math.sqrt(1 + noise**2)
    return points / 100 / slope


def tau_pair(gap_points: float, accuracy: float = 0.99, run_sd: float = 0.0,
             noise: float = NOISE) -> tuple[float, float]:
    """(tau of the variant, tau of the reference) whose true difference is ``gap_points``."""
    reference = threshold(accuracy, noise)
    target = expected_accuracy(reference, run_sd, noise) + gap_points / 100
    if not 0 < target < 1:
        raise ValueError(f"a gap of {gap_points} pts from {100 * accuracy}% leaves [0, 100]%")
    scale = math.sqrt(1 + noise**2 + run_sd**2)
    return float(scipy_stats.norm.ppf(target) * scale), reference


def study(rng: np.random.Generator, seeds: int, digits: int, gap_points: float, accuracy: float = 0.99,
          seed_sd_points: float = 0.0, noise: float = NOISE) -> tuple[np.ndarray, np.ndarray, float]:
    """(variant [seeds, digits], reference [seeds, digits], true difference) of one draw."""
    run_sd = run_sd_for(seed_sd_points, accuracy, noise)
    taus = tau_pair(gap_points, accuracy, run_sd, noise)
    difficulty = rng.standard_normal(digits)
    runs = []
    for tau in taus:
        shift = rng.normal(0, run_sd, (seeds, 1)) if run_sd > 0 else 0.0
        runs.append(difficulty[None, :] + noise * rng.standard_normal((seeds, digits)) < tau + shift)
    truth = expected_accuracy(taus[0], run_sd, noise) - expected_accuracy(taus[1], run_sd, noise)
    return runs[0], runs[1], truth


def schedule_sums(epochs: int, steps_per_epoch: int, schedule: str = "onecycle") -> tuple[np.ndarray, np.ndarray]:
    """(learning rate summed to the end of each epoch, learning rate at the end of each epoch),
    in units of the peak rate, from the project's own schedule."""
    spent, current = cached_schedule_sums(epochs, steps_per_epoch, schedule)
    return spent.copy(), current.copy()


@functools.lru_cache(maxsize=64)
def cached_schedule_sums(epochs: int, steps_per_epoch: int, schedule: str) -> tuple[np.ndarray, np.ndarray]:
    """schedule_sums, computed once per schedule: reading the settings' defaults dominates a simulated run."""
    from cnnstudy.train import learning_rate
    from conftest import train_settings

    settings = train_settings(lr=1.0, schedule=schedule)
    total = epochs * steps_per_epoch
    rates = np.array([learning_rate(settings, step, total) for step in range(total)])
    ends = np.arange(1, epochs + 1) * steps_per_epoch
    return np.cumsum(rates)[ends - 1] / steps_per_epoch, rates[ends - 1]


def history(rng: np.random.Generator, epochs: int, digits: int, lift_points: float, final_accuracy: float,
            anneal_points: float, deficit_points: float = 10.0, steps_per_epoch: int = 25,
            noise: float = 0.3) -> tuple[pd.DataFrame, float]:
    """One synthetic training run (its history) and what doubling its epochs would add.

    The run's accuracy follows a(P) = top - A exp(-P / k) - anneal * lr, with P the learning
    rate summed so far (peak-rate epochs) and lr the current rate (the accuracy a high rate
    costs, which the anneal gives back at any budget). Doubling the epochs doubles the final P:
    it adds lift = A (u - u^2), u = exp(-P_end / k); ``lift_points`` picks k. The validation
    accuracy of each epoch is scored on ``digits`` synthetic digits of fixed difficulty, with
    fresh run noise per epoch (two late epochs disagree on about 2% of the digits).
    """
    spent, current = schedule_sums(epochs, steps_per_epoch)
    deficit = deficit_points / 100
    lift = lift_points / 100
    u = (1 - math.sqrt(1 - 4 * lift / deficit)) / 2 if lift > 0 else 1e-12
    scale = spent[-1] / -math.log(u)
    top = final_accuracy + deficit * u  # so that the end of this run sits at final_accuracy
    truth = top - deficit * np.exp(-spent / scale) - anneal_points / 100 * current
    difficulty = rng.standard_normal(digits)
    scores = []
    for accuracy in np.clip(truth, 0.01, 0.9999):
        tau = scipy_stats.norm.ppf(accuracy) * math.sqrt(1 + noise**2)
        scores.append(float(np.mean(difficulty + noise * rng.standard_normal(digits) < tau)))
    frame = pd.DataFrame({"epoch": np.arange(1, epochs + 1), "val_accuracy": scores, "train_accuracy": 1.0,
                          "lr_sum": spent})
    return frame, deficit * (u - u**2)
