"""Is a difference real? Seed aggregates, exact McNemar tests, Holm correction, power.

McNemar (Dietterich 1998) compares two classifiers on the same test samples through the
discordant pairs only: b = reference right and variant wrong, c = the reverse. Under the null
each discordant pair is a fair coin, so the exact test is a two-sided binomial test.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy import stats as scipy_stats

ALPHA = 0.05


def mean_ci(values: Sequence[float], level: float = 0.95,
            bounds: tuple[float, float] = (-math.inf, math.inf)) -> dict[str, float]:
    """Mean, sample standard deviation and a t-based confidence interval (NaN with n < 2),
    clipped to ``bounds`` (an accuracy interval cannot leave [0, 1])."""
    array = np.asarray(values, dtype=float)
    n = len(array)
    mean = float(array.mean()) if n else math.nan
    if n < 2:
        return {"n": n, "mean": mean, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    std = float(array.std(ddof=1))
    half = float(scipy_stats.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std,
            "ci_low": max(bounds[0], mean - half), "ci_high": min(bounds[1], mean + half)}


def discordant(reference_correct: np.ndarray, variant_correct: np.ndarray) -> tuple[int, int]:
    """(b, c): samples only the reference got right, samples only the variant got right."""
    reference_correct = np.asarray(reference_correct, dtype=bool)
    variant_correct = np.asarray(variant_correct, dtype=bool)
    if reference_correct.shape != variant_correct.shape:
        raise ValueError("paired predictions must cover the same test samples")
    return int((reference_correct & ~variant_correct).sum()), int((~reference_correct & variant_correct).sum())


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: min(1, 2 * P[Binomial(b + c, 1/2) <= min(b, c)])."""
    n = b + c
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * scipy_stats.binom.cdf(min(b, c), n, 0.5)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone), NaN entries left out."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p), math.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def paired_t(reference: Sequence[float], variant: Sequence[float]) -> float:
    """Two-sided paired t-test over seeds (NaN below 3 seeds or with no spread)."""
    if len(reference) < 3:
        return math.nan
    differences = np.asarray(variant, dtype=float) - np.asarray(reference, dtype=float)
    if np.allclose(differences, differences[0]):
        return 0.0 if differences[0] != 0 else 1.0
    return float(scipy_stats.ttest_rel(variant, reference).pvalue)


def detectable_difference(b: int, c: int, pairs: int, alpha: float = ALPHA, power: float = 0.8) -> float:
    """Smallest accuracy difference McNemar detects with the given power (Connor 1987 approx.).

    With discordant share p_d = (b + c) / pairs: delta = (z_{1-alpha/2} + z_power) sqrt(p_d / pairs).
    A floor of one discordant pair keeps a perfect agreement from claiming infinite power.
    """
    share = max(b + c, 1) / pairs
    z = scipy_stats.norm.ppf(1 - alpha / 2) + scipy_stats.norm.ppf(power)
    return float(z * math.sqrt(share / pairs))


def verdict(difference: float, p_adjusted: float, detectable: float, relevant: float, alpha: float = ALPHA) -> str:
    """A word for one comparison: better / worse when significant; otherwise 'underpowered'
    when the test could not have detected a ``relevant`` difference, else no difference."""
    if not math.isnan(p_adjusted) and p_adjusted < alpha:
        return "better" if difference > 0 else "worse"
    if detectable > relevant:
        return "underpowered"
    return "no significant difference"


def compare(
    reference: dict[int, np.ndarray], variant: dict[int, np.ndarray],
    reference_accuracy: dict[int, float], variant_accuracy: dict[int, float],
) -> dict[str, Any]:
    """Per-seed and pooled McNemar, and a seed-level paired t-test, for one pair of variants.

    ``reference`` / ``variant`` map seed -> per-sample correctness on the same test split.
    Pooling sums b and c over seeds: it treats (seed, sample) pairs as independent, which
    overstates the evidence somewhat when the same hard digits fail in every seed.
    """
    seeds = sorted(set(reference) & set(variant))
    per_seed = []
    for seed in seeds:
        b, c = discordant(reference[seed], variant[seed])
        per_seed.append({"seed": seed, "b": b, "c": c, "p": mcnemar_exact(b, c),
                         "difference": variant_accuracy[seed] - reference_accuracy[seed]})
    b = sum(row["b"] for row in per_seed)
    c = sum(row["c"] for row in per_seed)
    pairs = sum(len(reference[seed]) for seed in seeds)
    return {
        "seeds": seeds,
        "per_seed": per_seed,
        "b": b,
        "c": c,
        "difference": (c - b) / pairs if pairs else math.nan,
        "p_pooled": mcnemar_exact(b, c),
        "p_seed_level": paired_t([reference_accuracy[s] for s in seeds], [variant_accuracy[s] for s in seeds]),
        "detectable_difference": detectable_difference(b, c, pairs) if pairs else math.nan,
        "test_size": len(reference[seeds[0]]) if seeds else 0,
    }
