import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from cnnstudy import stats

DELTA, ALPHA = 0.001, 0.05  # 0.1 points
EXPECTS = list(stats.EXPECTATIONS)


def test_discordant_counts():
    reference = np.array([1, 1, 0, 0, 1], dtype=bool)
    variant = np.array([1, 0, 1, 1, 1], dtype=bool)
    assert stats.discordant(reference, variant) == (1, 2)
    with pytest.raises(ValueError):
        stats.discordant(reference, variant[:3])


def test_holm_known_values():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = stats.holm([0.5, math.nan, 0.001])
    assert adjusted[0] == pytest.approx(0.5) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.002)


def test_mean_ci_on_known_input():
    result = stats.mean_ci([0.98, 0.99, 1.00])
    assert result["mean"] == pytest.approx(0.99)
    assert result["std"] == pytest.approx(0.01)
    half = scipy_stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    assert result["ci_low"] == pytest.approx(0.99 - half) and result["ci_high"] == pytest.approx(0.99 + half)
    single = stats.mean_ci([0.9])
    assert single["mean"] == 0.9 and math.isnan(single["ci_low"])
    same = stats.mean_ci([0.97, 0.97, 0.97])  # seeds that agree exactly: a zero-width interval, not NaN
    assert same["ci_low"] == pytest.approx(0.97) and same["ci_high"] == pytest.approx(0.97)


def classifier(rng, accuracy, seeds, digits):
    return rng.random((seeds, digits)) < accuracy


def decide(variant, reference, expect, delta=DELTA):
    result = stats.paired_difference(variant, reference)
    return stats.outcome(expect, result["ci_low"], result["ci_high"], result["p"], delta, ALPHA)


@pytest.mark.parametrize("digits, expected", [(1_000, "inconclusive"), (100_000, "pass")])
def test_identical_classifiers_are_equivalent_only_on_enough_digits(digits, expected):
    same = classifier(np.random.default_rng(0), 0.99, 3, digits)
    assert decide(same, same.copy(), "equivalent") == expected


def test_a_true_two_point_gap_on_ten_thousand_digits_is_better():
    rng = np.random.default_rng(1)
    hard = rng.random(10_000)  # shared digit difficulty: both nets fail on the hardest digits
    variant = np.stack([hard > 0.03 + rng.normal(0, 0.002) for _ in range(3)])
    reference = np.stack([hard > 0.05 + rng.normal(0, 0.002) for _ in range(3)])
    result = stats.paired_difference(variant, reference)
    assert result["difference"] == pytest.approx(0.02, abs=0.004)  # the gap built in, up to seed shifts
    assert decide(variant, reference, "better") == "pass"
    assert decide(variant, reference, "worse") == "fail"
    assert decide(variant, reference, "not_better") == "fail"
    assert decide(variant, reference, "equivalent") == "fail"


@pytest.mark.parametrize("expect", EXPECTS)
def test_no_expectation_passes_by_default(expect):
    rng = np.random.default_rng(2)
    one_seed = classifier(rng, 0.9, 1, 10_000), classifier(rng, 0.9, 1, 10_000)
    assert decide(*one_seed, expect) == "inconclusive"  # no interval without run-to-run variation
    few_digits = classifier(rng, 0.9, 3, 100), classifier(rng, 0.9, 3, 100)
    assert decide(*few_digits, expect) == "inconclusive"  # an interval too wide to decide anything
    assert stats.outcome(expect, math.nan, math.nan, math.nan, DELTA, ALPHA) == "inconclusive"


@pytest.mark.parametrize("low, high, p, outcomes", [
    # interval (points / 100), Holm p -> better, worse, not_worse, not_better, equivalent
    (0.002, 0.010, 0.001, ["pass", "fail", "pass", "fail", "fail"]),
    (0.002, 0.010, 0.200, ["inconclusive", "fail", "pass", "fail", "fail"]),  # not significant after Holm
    (-0.0005, 0.0005, 0.9, ["fail", "fail", "pass", "pass", "pass"]),
    (-0.0005, 0.004, 0.3, ["inconclusive", "fail", "pass", "inconclusive", "inconclusive"]),
    (-0.004, 0.004, 0.9, ["inconclusive"] * 5),
    (-0.010, -0.002, 0.001, ["fail", "pass", "fail", "pass", "fail"]),
])
def test_outcomes_follow_interval_and_margin(low, high, p, outcomes):
    assert [stats.outcome(expect, low, high, p, DELTA, ALPHA) for expect in EXPECTS] == outcomes


def test_finding_names_what_the_interval_shows():
    assert stats.finding(0.002, 0.01, 0.001, DELTA, ALPHA) == "better"
    assert stats.finding(-0.0005, 0.0005, 0.9, DELTA, ALPHA) == "equivalent"
    assert stats.finding(-0.004, 0.004, 0.9, DELTA, ALPHA) == "inconclusive"
    assert stats.finding(math.nan, math.nan, math.nan, DELTA, ALPHA) == "undecided (one seed)"


def simulated_study(rng, seeds, digits, gap):
    """Two nets on the same digits: shared digit difficulty, a random shift per trained run."""
    difficulty = rng.normal(0, 2.0, digits)
    runs = []
    for logit in (4.0 + gap, 4.0):
        shift = rng.normal(0, 0.3, (seeds, 1))
        runs.append(rng.random((seeds, digits)) < 1 / (1 + np.exp(-(logit + difficulty + shift))))
    return runs


def true_difference(rng, gap):
    difficulty, a, b = rng.normal(0, 2.0, 10**6), rng.normal(0, 0.3, 10**6), rng.normal(0, 0.3, 10**6)
    return float(np.mean(1 / (1 + np.exp(-(4.0 + gap + difficulty + a))) - 1 / (1 + np.exp(-(4.0 + difficulty + b)))))


def test_interval_covers_the_true_difference_at_about_its_level():
    rng = np.random.default_rng(3)
    truth = true_difference(rng, 0.3)
    covered = []
    for _ in range(400):
        result = stats.paired_difference(*simulated_study(rng, 3, 2_000, 0.3))
        covered.append(result["ci_low"] <= truth <= result["ci_high"])
    assert 0.91 <= np.mean(covered) <= 0.99


def test_the_seed_term_widens_the_interval():
    rng = np.random.default_rng(4)
    variant, reference = simulated_study(rng, 3, 5_000, 0.3)
    with_seeds = stats.paired_difference(variant, reference)
    assert with_seeds["seed_term"] > 0
    pooled_digits_only = math.sqrt(with_seeds["digit_term"])
    assert with_seeds["se"] > pooled_digits_only


def test_evidence_needed_shrinks_the_interval_enough():
    rng = np.random.default_rng(5)
    variant, reference = simulated_study(rng, 3, 1_000, 0.15)
    result = stats.paired_difference(variant, reference)
    needed = stats.evidence_needed("better", result, 0.005)
    assert needed["seeds"] > 3 or math.isinf(needed["seeds"])
    assert needed["digits"] > 1_000 or math.isinf(needed["digits"])
    if not math.isinf(needed["digits"]):  # with that many digits the projected interval decides
        digit_term = result["digit_term"] * 1_000 / needed["digits"]
        half = 1.96 * math.sqrt(result["seed_term"] + digit_term)
        assert half <= stats.half_width_to_decide("better", result["difference"], 0.005) + 1e-12
    one_seed = stats.paired_difference(variant[:1], reference[:1])
    assert math.isnan(stats.evidence_needed("better", one_seed, 0.005)["seeds"])


def test_interval_stays_within_what_accuracies_allow():
    rng = np.random.default_rng(6)
    variant = np.stack([rng.random(500) < 0.95, rng.random(500) < 0.60])  # two seeds, wildly apart
    reference = np.stack([rng.random(500) < 0.10, rng.random(500) < 0.10])
    result = stats.paired_difference(variant, reference)
    assert -1.0 <= result["ci_low"] <= result["difference"] <= result["ci_high"] <= 1.0


def test_an_interval_wide_only_for_want_of_seeds_needs_a_seed_not_digits():
    result = {"difference": 0.014, "seeds": 2, "digits": 1000, "seed_term": 2.5e-5, "digit_term": 1e-5}
    needed = stats.evidence_needed("better", result, 0.005)
    assert needed["seeds"] == 3 and math.isinf(needed["digits"])


def test_planned_interval_shrinks_with_seeds_down_to_the_digits_floor():
    widths = [stats.planned_half_width(s, 10_000, between=0.012, within=0.008) for s in (2, 3, 5, 10, 50)]
    assert widths == sorted(widths, reverse=True)
    floor = 1.96 * math.sqrt(0.004 / 10_000)  # the consistent discordance, which seeds cannot average away
    assert floor < widths[-1] < 1.1 * floor


def test_planned_interval_agrees_with_simulated_studies():
    rng = np.random.default_rng(7)
    variant, reference = simulated_study(rng, 5, 10_000, 0.3)
    between = float(np.mean(variant[0] != reference[0]))
    within = float(np.mean(variant[0] != variant[1]))
    run_variance = float(np.var(variant.mean(axis=1), ddof=1))
    planned = stats.planned_half_width(5, 10_000, between, within, run_variance)
    measured = stats.paired_difference(variant, reference)
    observed = measured["ci_high"] - measured["difference"]
    assert 0.5 * observed < planned < 2 * observed


def test_seeds_to_decide():
    # a true gap of 0.5 points against delta 0.2: a few seeds show it on 10,000 digits
    assert stats.seeds_to_decide("better", 0.005, 0.002, 10_000, between=0.01, within=0.008) <= 5
    # a gap of 0.1 points with 0.5% consistent discordance: no number of seeds decides it
    assert math.isinf(stats.seeds_to_decide("better", 0.001, 0.002, 10_000, between=0.013, within=0.008))
