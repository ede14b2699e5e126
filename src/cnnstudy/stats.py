"""Is a difference real, and is it large enough to matter? Paired intervals with a margin.

Two variants are compared on the same test digits, each trained with the same seeds. The
quantity is the difference of their accuracies; its uncertainty has two sources: which digits
happened to be in the test split, and which run a seed happened to produce. A verdict comes
from the interval of that difference against a relevance margin delta
(``stats.relevant_difference``), never from "no significant difference".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

# expectation -> (what must hold to pass, what refutes it): each a list of (bound, side) in
# units of delta (0 or +-1); side +1: the interval lies above the bound, -1: below it.
# A claim fails when the interval establishes its opposite: "better" is refuted when any gain
# is ruled out down to less than delta, "not worse" when a loss of more than delta is shown.
EXPECTATIONS: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {
    "better": ([(0, +1)], [(+1, -1)]),
    "worse": ([(0, -1)], [(-1, +1)]),
    "not_worse": ([(-1, +1)], [(-1, -1)]),
    "not_better": ([(+1, -1)], [(+1, +1)]),
    "equivalent": ([(-1, +1), (+1, -1)], [(+1, +1), (-1, -1)]),
}
SIGNIFICANCE_NEEDED = {"better", "worse"}


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
    low, high = (mean, mean) if std == 0 else scipy_stats.t.interval(level, n - 1, loc=mean, scale=std / math.sqrt(n))
    return {"n": n, "mean": mean, "std": std, "ci_low": max(bounds[0], float(low)), "ci_high": min(bounds[1], float(high))}


def discordant(reference_correct: np.ndarray, variant_correct: np.ndarray) -> tuple[int, int]:
    """(b, c): samples only the reference got right, samples only the variant got right."""
    reference_correct = np.asarray(reference_correct, dtype=bool)
    variant_correct = np.asarray(variant_correct, dtype=bool)
    if reference_correct.shape != variant_correct.shape:
        raise ValueError("paired predictions must cover the same test samples")
    return int((reference_correct & ~variant_correct).sum()), int((~reference_correct & variant_correct).sum())


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


def paired_difference(variant: np.ndarray, reference: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Accuracy difference (variant - reference) with an interval over test digits and seeds.

    ``variant`` and ``reference`` are per-digit correctness [seeds, digits], row s of each from
    the run with seed s, columns the same test digits. With z = variant - reference per (seed,
    digit), the mean difference D has variance sigma_seed^2 / S + sigma_digit^2 / n plus an
    interaction term / (nS). Two plug-in estimates cover it:
    - seed term: the variance of the per-seed differences over seeds, / S;
    - digit term: the variance of the per-digit means over seeds, / n, with Agresti and Min's
      (2005) pseudo-counts (half a digit each way discordant, one concordant) so that zero
      discordant digits do not claim a zero-width interval: identical predictions on 1,000
      digits cannot show two nets within 0.1 points of each other, on 100,000 they can.
    Each estimate also holds the interaction term, so their sum is slightly conservative. The
    interval is D +- t * se with Welch-Satterthwaite degrees of freedom (S - 1 for the seed
    term, n - 1 for the digit term), clipped to [-1, 1]; p is the two-sided test of D = 0 on the same t. In
    simulations (tests/test_stats.py) it covers the true difference at about its level from 3
    seeds on; with 2 seeds about 90% for 95%. One seed cannot estimate run-to-run variation:
    the interval is then NaN and the difference undecided.
    """
    variant = np.asarray(variant, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if variant.shape != reference.shape or variant.ndim != 2:
        raise ValueError("paired predictions must be [seeds, digits] arrays of the same shape")
    seeds, digits = variant.shape
    z = variant - reference
    per_seed = z.mean(axis=1)
    difference = float(per_seed.mean())
    per_digit = np.concatenate([z.mean(axis=0), [1.0, -1.0, 0.0]])
    weights = np.concatenate([np.ones(digits), [0.5, 0.5, 1.0]])
    total = digits + 2
    centre = float((weights * per_digit).sum() / total)
    digit_term = float((weights * (per_digit - centre) ** 2).sum() / total**2)
    b = int((z < 0).sum())
    c = int((z > 0).sum())
    result = {"difference": difference, "seeds": seeds, "digits": digits, "b": b, "c": c,
              "digit_term": digit_term, "seed_term": math.nan, "se": math.nan, "df": math.nan,
              "ci_low": math.nan, "ci_high": math.nan, "p": math.nan}
    if seeds < 2:
        return result
    seed_term = float(per_seed.var(ddof=1) / seeds)
    variance = seed_term + digit_term
    df = variance**2 / (seed_term**2 / (seeds - 1) + digit_term**2 / (digits - 1))
    se = math.sqrt(variance)
    low, high = scipy_stats.t.interval(level, df, loc=difference, scale=se)
    p = float(2 * scipy_stats.t.sf(abs(difference) / se, df))
    result.update(seed_term=seed_term, se=se, df=df, ci_low=max(-1.0, float(low)), ci_high=min(1.0, float(high)), p=p)
    return result


def holds(constraints: list[tuple[int, int]], low: float, high: float, delta: float) -> list[bool]:
    """Whether the interval [low, high] lies beyond each (bound, side) constraint."""
    return [low > bound * delta if side > 0 else high < bound * delta for bound, side in constraints]


def outcome(expect: str, low: float, high: float, p_adjusted: float, delta: float, alpha: float) -> str:
    """'pass', 'fail' or 'inconclusive' for one expectation, from the interval and margin.

    better: the interval lies above 0 and the Holm-adjusted p is below alpha; refuted when the
    interval lies below +delta (a gain worth a claim is ruled out). worse: the mirror image.
    not_worse: the lower end lies above -delta (non-inferiority); refuted when the whole
    interval lies below -delta. not_better: the mirror image. equivalent: both ends within
    +-delta; refuted when the whole interval lies beyond one of them. Anything else, and every
    expectation without an interval, is inconclusive: no expectation passes by default.
    """
    if math.isnan(low) or math.isnan(high):
        return "inconclusive"
    passing, refuting = EXPECTATIONS[expect]
    significant = expect not in SIGNIFICANCE_NEEDED or (not math.isnan(p_adjusted) and p_adjusted < alpha)
    if all(holds(passing, low, high, delta)) and significant:
        return "pass"
    if any(holds(refuting, low, high, delta)):
        return "fail"
    return "inconclusive"


def finding(low: float, high: float, p_adjusted: float, delta: float, alpha: float) -> str:
    """What an interval shows on its own, whatever anyone expected of it."""
    if math.isnan(low):
        return "undecided (one seed)"
    for expect, word in (("better", "better"), ("worse", "worse"), ("equivalent", "equivalent"),
                         ("not_worse", "not worse"), ("not_better", "not better")):
        if outcome(expect, low, high, p_adjusted, delta, alpha) == "pass":
            return word
    return "inconclusive"


def half_width_to_decide(expect: str, difference: float, delta: float) -> float:
    """The widest interval half-width that would decide ``expect`` either way, if the point
    estimate stayed where it is (0 when it sits exactly on a bound)."""
    passing, refuting = EXPECTATIONS[expect]
    to_pass = min(side * (difference - bound * delta) for bound, side in passing)
    to_fail = max(side * (difference - bound * delta) for bound, side in refuting)
    return max(to_pass, to_fail, 0.0)


def evidence_needed(expect: str, result: dict[str, Any], delta: float, level: float = 0.95) -> dict[str, float]:
    """Roughly how many seeds (at this test size) or test digits (at these seeds) would settle
    ``expect``, if the observed difference and spreads held: inf where that alone cannot."""
    target = half_width_to_decide(expect, result["difference"], delta) / scipy_stats.norm.ppf(0.5 + level / 2)
    seeds, digits = result["seeds"], result["digits"]
    seed_term, digit_term = result["seed_term"], result["digit_term"]
    if target <= 0:
        return {"seeds": math.inf, "digits": math.inf}
    if math.isnan(seed_term):  # one seed: a second one is needed before anything else
        return {"seeds": math.nan, "digits": math.nan}
    room_for_seeds = target**2 - digit_term
    room_for_digits = target**2 - seed_term
    needed_digits = math.ceil(digit_term * digits / room_for_digits) if room_for_digits > 0 else math.inf
    # An interval that the normal approximation would already call decisive is too wide only for
    # want of degrees of freedom over seeds: one more seed, not more digits, is what it needs.
    return {
        "seeds": max(seeds + 1, math.ceil(seed_term * seeds / room_for_seeds)) if room_for_seeds > 0 else math.inf,
        "digits": needed_digits if needed_digits > digits else math.inf,
    }


def planned_half_width(seeds: int, digits: int, between: float, within: float,
                       run_variance: float | None = None, level: float = 0.95) -> float:
    """Expected interval half-width of ``paired_difference`` for a study not yet run.

    ``between``: the share of test digits on which one run of each variant disagree (their
    discordance); ``within``: the share on which two runs of the same variant, other seeds,
    disagree. The part of ``between`` that ``within`` does not explain is consistent (the same
    digits every seed) and shrinks with more test digits only; run-to-run disagreement also
    shrinks with seeds. ``run_variance``: the variance of one run's accuracy around its
    variant's mean, where measured; else what ``within`` alone implies, within / (2 n).
    Seed term 2 run_variance / S, digit term (consistent + within / S) / n, as in
    ``paired_difference``.
    """
    if run_variance is None:
        run_variance = within / (2 * digits)
    consistent = max(between - within, 0.0)
    seed_term = 2 * run_variance / seeds
    digit_term = (consistent + within / seeds) / digits
    variance = seed_term + digit_term
    df = variance**2 / (seed_term**2 / max(seeds - 1, 1) + digit_term**2 / (digits - 1))
    return float(scipy_stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(variance)


def seeds_to_decide(expect: str, gap: float, delta: float, digits: int, between: float, within: float,
                    run_variance: float | None = None, level: float = 0.95, most: int = 100) -> float:
    """The fewest seeds (2 or more) whose planned interval decides ``expect`` either way if the
    true difference is ``gap``; inf when even ``most`` seeds cannot (the test digits are too few)."""
    needed = half_width_to_decide(expect, gap, delta)
    for seeds in range(2, most + 1):
        if planned_half_width(seeds, digits, between, within, run_variance, level) < needed:
            return seeds
    return math.inf
