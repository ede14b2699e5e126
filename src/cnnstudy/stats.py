"""Is a difference real, and is it large enough to matter? Paired intervals read by one table.

Two variants are compared on the same test digits, each trained with the same seeds. The
quantity is the difference of their accuracies; its uncertainty has two sources: which digits
happened to be in the test split, and which run a seed happened to produce. A verdict comes
from where the interval of that difference lies against 0 and a relevance margin delta
(``stats.relevant_difference``), read from one decision table (``VERDICTS``), never from "no
significant difference".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as scipy_stats

EXPECTATIONS = ("better", "worse", "not_worse", "not_better", "equivalent")

# Where an interval [low, high] lies against the cuts -delta, 0, +delta: the zone of each end,
# 0-3 from below -delta to above +delta. The lower end counts the cuts it lies strictly above,
# the upper end those it does not lie strictly below, so an end exactly on a cut never claims it.
LOW_ZONES = ("L <= -d", "-d < L <= 0", "0 < L <= +d", "L > +d")
HIGH_ZONES = ("H < -d", "-d <= H < 0", "0 <= H < +d", "H >= +d")
POSITIONS = [(low, high) for low in range(4) for high in range(low, 4)]

# What the interval shows at each position, whatever anyone expected of it.
READINGS = {
    (0, 0): "worse by more than the margin",
    (0, 1): "worse; by more than the margin or not is open",
    (0, 2): "no gain of the margin; a loss of it is not ruled out",
    (0, 3): "open: the interval spans the margin both ways",
    (1, 1): "worse, by less than the margin",
    (1, 2): "within the margin both ways",
    (1, 3): "no loss of the margin; a gain of it is not ruled out",
    (2, 2): "better, by less than the margin",
    (2, 3): "better; by more than the margin or not is open",
    (3, 3): "better by more than the margin",
}

SUPPORTED, BELOW, REFUTED, INCONCLUSIVE = "supported", "below the margin", "refuted", "inconclusive"
DECIDED = (SUPPORTED, BELOW, REFUTED)


def _verdicts() -> dict[str, dict[tuple[int, int], str]]:
    """The decision table: each expectation's verdict at each of the 10 positions.

    better claims a gain of at least delta (the margin is "the smallest difference worth a
    claim"): supported when the interval lies above +delta; a gain shown to be real but smaller
    than delta is its own verdict, below the margin; refuted when the interval rules out a gain
    of delta without showing a gain at all; open otherwise. worse is its mirror image.
    not_worse (non-inferiority): supported when the lower end lies above -delta, refuted when
    the whole interval lies below it. not_better: the mirror image. equivalent: supported when
    both ends lie within +-delta, refuted when the whole interval lies beyond one of them.
    """
    table: dict[str, dict[tuple[int, int], str]] = {}
    for expect in EXPECTATIONS:
        column = {}
        for low, high in POSITIONS:
            if expect == "better":
                verdict = (SUPPORTED if low == 3 else BELOW if (low, high) == (2, 2)
                           else REFUTED if high <= 2 else INCONCLUSIVE)
            elif expect == "worse":
                verdict = (SUPPORTED if high == 0 else BELOW if (low, high) == (1, 1)
                           else REFUTED if low >= 1 else INCONCLUSIVE)
            elif expect == "not_worse":
                verdict = SUPPORTED if low >= 1 else REFUTED if high == 0 else INCONCLUSIVE
            elif expect == "not_better":
                verdict = SUPPORTED if high <= 2 else REFUTED if low == 3 else INCONCLUSIVE
            else:  # equivalent
                verdict = (SUPPORTED if low >= 1 and high <= 2 else REFUTED if high == 0 or low == 3
                           else INCONCLUSIVE)
            column[(low, high)] = verdict
        table[expect] = column
    return table


VERDICTS = _verdicts()


def position(low: float, high: float, delta: float) -> tuple[int, int]:
    """The zones (0-3) of an interval's ends against -delta, 0 and +delta."""
    cuts = (-delta, 0.0, delta)
    return sum(low > cut for cut in cuts), sum(high >= cut for cut in cuts)


def verdict(expect: str, low: float, high: float, delta: float) -> str:
    """The decision table's verdict for ``expect``; no interval (NaN) is inconclusive."""
    if math.isnan(low) or math.isnan(high):
        return INCONCLUSIVE
    return VERDICTS[expect][position(low, high, delta)]


def reading(low: float, high: float, delta: float) -> str:
    """What an interval shows on its own (no interval: one seed cannot show run-to-run variation)."""
    if math.isnan(low) or math.isnan(high):
        return "no interval (one seed)"
    return READINGS[position(low, high, delta)]


def decision_table() -> pd.DataFrame:
    """The decision table as a reader sees it (README, report): one row per interval position."""
    rows = []
    for low, high in POSITIONS:
        where = LOW_ZONES[low] + ", " + HIGH_ZONES[high]
        rows.append({"interval [L, H], margin d": where, "shows": READINGS[(low, high)],
                     **{expect.replace("_", " "): VERDICTS[expect][(low, high)] for expect in EXPECTATIONS}})
    return pd.DataFrame(rows)


def family_level(alpha: float, family: int) -> float:
    """Confidence level of each interval of a family of ``family`` intervals read together
    (Bonferroni): all of them hold at once with probability at least 1 - alpha."""
    return 1 - alpha / max(1, family)


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


def half_width(seed_term: float, digit_term: float, seeds: int, digits: int, level: float) -> float:
    """Half-width of the interval: each source of chance widened by its own t quantile, the
    seed term's with seeds - 1 degrees of freedom, the digit term's with digits - 1, added in
    quadrature. Two seeds give one degree of freedom: an honest interval is then wide (a
    pooled t, such as Welch-Satterthwaite's, covered 86-91% at 2 seeds in simulation)."""
    if seeds < 2 or math.isnan(seed_term):
        return math.nan
    q = 0.5 + level / 2
    return math.sqrt(special.stdtrit(seeds - 1, q) ** 2 * seed_term + special.stdtrit(max(1, digits - 1), q) ** 2
                     * digit_term)


def p_value(difference: float, seed_term: float, digit_term: float, seeds: int, digits: int) -> float:
    """Two-sided p of a zero difference, consistent with ``half_width``: one minus the level of
    the widest interval that still excludes 0."""
    if seeds < 2 or math.isnan(seed_term):
        return math.nan
    if difference == 0:
        return 1.0
    gap = abs(difference)
    if half_width(seed_term, digit_term, seeds, digits, 1 - 1e-15) <= gap:
        return 1e-15
    level = optimize.brentq(lambda lv: half_width(seed_term, digit_term, seeds, digits, lv) - gap, 1e-12, 1 - 1e-15)
    return float(1 - level)


def interval(difference: float, seed_term: float, digit_term: float, seeds: int, digits: int,
             level: float, bounds: tuple[float, float] = (-1.0, 1.0)) -> tuple[float, float]:
    """difference +- half_width, clipped to ``bounds`` (NaN without an interval)."""
    half = half_width(seed_term, digit_term, seeds, digits, level)
    if math.isnan(half):
        return math.nan, math.nan
    return max(bounds[0], difference - half), min(bounds[1], difference + half)


def paired_difference(variant: np.ndarray, reference: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Accuracy difference (variant - reference) with an interval over test digits and seeds.

    ``variant`` and ``reference`` are per-digit correctness [seeds, digits], row s of each from
    the run with seed s, columns the same test digits. With z = variant - reference per (seed,
    digit), a two-way analysis of variance (seeds x digits) splits the variance of the mean
    difference D into
    - the seed term: the variance of the per-seed differences over seeds, / S (run-to-run
      variation and the disagreement on digits that changes from seed to seed);
    - the digit term: the part of the per-digit means' variance that seeds do not explain (the
      digits on which the pair disagrees whichever seed ran), / n, with Agresti and Min's (2005)
      pseudo-counts (half a digit each way discordant, one concordant) so that zero discordant
      digits do not claim a zero-width interval: identical predictions on 1,000 digits cannot
      show two nets within 0.1 points of each other, on 100,000 they can.
    Their sum estimates Var(D) without counting the seed-to-seed disagreement twice; the
    interval is ``half_width`` around D. In simulations of known truth (tests/test_stats.py) it
    covers the true difference at least at its level from 2 seeds on, seed sd 0 to 0.5 pts.
    One seed cannot estimate run-to-run variation: the interval is then NaN. ``p_value`` gives
    the p of a zero difference from the same terms.
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
    digit_means = float((weights * (per_digit - centre) ** 2).sum() / total**2)
    b = int((z < 0).sum())
    c = int((z > 0).sum())
    result = {"difference": difference, "seeds": seeds, "digits": digits, "b": b, "c": c, "level": level,
              "digit_term": digit_means, "seed_term": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if seeds < 2:
        return result
    residual = z - per_seed[:, None] - z.mean(axis=0)[None, :] + difference
    error_mean_square = float((residual**2).sum() / ((seeds - 1) * (digits - 1)))
    seed_term = float(per_seed.var(ddof=1) / seeds)
    digit_term = max(0.0, digit_means - error_mean_square / (digits * seeds))
    low, high = interval(difference, seed_term, digit_term, seeds, digits, level)
    result.update(seed_term=seed_term, digit_term=digit_term, ci_low=low, ci_high=high)
    return result


def half_width_to_decide(expect: str, difference: float, delta: float) -> float:
    """The widest interval half-width around ``difference`` whose verdict is not inconclusive
    (0 when even a point cannot decide, e.g. a difference exactly on the margin). Verdicts only
    open up as an interval widens, so bisection finds it."""
    if verdict(expect, difference, difference, delta) == INCONCLUSIVE:
        return 0.0
    low, high = 0.0, 2.0
    for _ in range(60):
        middle = (low + high) / 2
        decided = verdict(expect, difference - middle, difference + middle, delta) != INCONCLUSIVE
        low, high = (middle, high) if decided else (low, middle)
    return low


def evidence_needed(expect: str, result: dict[str, Any], delta: float, level: float = 0.95) -> dict[str, float]:
    """Roughly how many seeds (at this test size) or test digits (at these seeds) would settle
    ``expect``, if the observed difference and spreads held: inf where that alone cannot. Where
    neither alone can (each term on its own too wide), ``digits_at_twice_seeds`` says how many
    test digits would with twice the seeds."""
    target = half_width_to_decide(expect, result["difference"], delta)
    seeds, digits = result["seeds"], result["digits"]
    seed_term, digit_term = result["seed_term"], result["digit_term"]
    if target <= 0:
        return {"seeds": math.inf, "digits": math.inf, "digits_at_twice_seeds": math.inf}
    if math.isnan(seed_term):  # one seed: a second one is needed before anything else
        return {"seeds": math.nan, "digits": math.nan, "digits_at_twice_seeds": math.nan}
    per_seed, per_digit = seed_term * seeds, digit_term * digits  # the spreads of one seed, one digit
    more_seeds = fewest(lambda s: half_width(per_seed / s, digit_term, s, digits, level) < target, seeds + 1, 1000)
    more_digits = fewest(lambda n: half_width(seed_term, per_digit / n, seeds, n, level) < target, digits + 1,
                         1000 * digits)
    twice = 2 * seeds
    with_twice = fewest(lambda n: half_width(per_seed / twice, per_digit / n, twice, n, level) < target, digits,
                        1000 * digits)
    return {"seeds": more_seeds, "digits": more_digits, "digits_at_twice_seeds": with_twice}


def fewest(enough: Any, low: int, high: int) -> float:
    """The smallest count in [low, high] for which ``enough`` holds (it holds for every larger
    one once it holds for one), by bisection; inf when even ``high`` is not enough."""
    if not enough(high):
        return math.inf
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle + 1, high)
    return low


def planned_half_width(seeds: int, digits: int, between: float, within: float,
                       run_variance: float | None = None, level: float = 0.95) -> float:
    """Expected interval half-width of ``paired_difference`` for a study not yet run.

    ``between``: the share of test digits on which one run of each variant disagree (their
    discordance); ``within``: the share on which two runs of the same variant, other seeds,
    disagree. The part of ``between`` that ``within`` does not explain is consistent (the same
    digits every seed): the digit term, consistent / n. The rest moves from seed to seed: with
    ``run_variance``, the variance of one run's accuracy around its variant's mean where
    measured (else what ``within`` alone implies, within / (2 n)), the seed term is
    2 run_variance / S, as in ``paired_difference``.
    """
    if run_variance is None:
        run_variance = within / (2 * digits)
    consistent = max(between - within, 0.0)
    return half_width(2 * run_variance / seeds, consistent / digits, seeds, digits, level)


def seeds_to_decide(expect: str, gap: float, delta: float, digits: int, between: float, within: float,
                    run_variance: float | None = None, level: float = 0.95, most: int = 100) -> float:
    """The fewest seeds (2 or more) whose planned interval decides ``expect`` if the true
    difference is ``gap``; inf when even ``most`` seeds cannot (the test digits are too few)."""
    needed = half_width_to_decide(expect, gap, delta)
    for seeds in range(2, most + 1):
        if planned_half_width(seeds, digits, between, within, run_variance, level) < needed:
            return seeds
    return math.inf
