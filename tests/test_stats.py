"""The decision machinery: the decision table position by position, and the intervals and
verdicts as rates over many synthetic studies of known truth (tests/simulate.py)."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

import simulate
from cnnstudy import stats
from conftest import AT_THE_MARGIN

DELTA = 0.005  # 0.5 points, the default's margin
S, B, R, I = "supported", "below the margin", "refuted", "inconclusive"  # noqa: E741

# One representative interval per position (lower end zone, upper end zone) against -d, 0, +d.
LOWS = {0: -0.008, 1: -0.002, 2: 0.002, 3: 0.008}
HIGHS = {0: -0.006, 1: -0.001, 2: 0.003, 3: 0.009}
ORDER = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3)]
# Written out by hand, not derived from the code: what each expectation reads at each position.
TABLE = {
    "better":     [R, R, R, I, R, R, I, B, I, S],
    "worse":      [S, I, I, I, B, R, R, R, R, R],
    "not_worse":  [R, I, I, I, S, S, S, S, S, S],
    "not_better": [S, S, S, I, S, S, I, S, I, R],
    "equivalent": [R, I, I, I, S, S, I, S, I, R],
}


@pytest.mark.parametrize("expect", list(TABLE))
@pytest.mark.parametrize("index", range(len(ORDER)))
def test_decision_table_position_by_position(expect, index):
    low, high = LOWS[ORDER[index][0]], HIGHS[ORDER[index][1]]
    assert stats.position(low, high, DELTA) == ORDER[index]
    assert stats.verdict(expect, low, high, DELTA) == TABLE[expect][index]


def test_the_table_covers_every_position_once_and_the_generated_table_matches():
    assert sorted(stats.POSITIONS) == sorted(ORDER)
    frame = stats.decision_table()
    assert len(frame) == 10
    for expect, column in TABLE.items():
        assert frame[expect.replace("_", " ")].tolist() == column


def test_an_end_on_a_bound_never_claims_it():
    assert stats.position(0.0, 0.003, DELTA) == (1, 2)  # L = 0 is not above 0
    assert stats.position(0.002, DELTA, DELTA) == (2, 3)  # H = d is not below d
    assert stats.verdict("better", DELTA, 0.009, DELTA) == I  # L = d: a gain of d is not shown
    assert stats.verdict("equivalent", -DELTA, 0.001, DELTA) == I
    assert stats.verdict("better", math.nan, math.nan, DELTA) == I


def rates(draws, seeds, digits, gap_points, expect, delta=DELTA, seed_sd_points=0.1, accuracy=0.99, seed=0):
    """Share of each verdict, and the coverage of the interval, over many synthetic studies."""
    rng = np.random.default_rng(seed)
    counts, covered = {S: 0, B: 0, R: 0, I: 0}, 0
    for _ in range(draws):
        variant, reference, truth = simulate.study(rng, seeds, digits, gap_points, accuracy, seed_sd_points)
        result = stats.paired_difference(variant, reference)
        counts[stats.verdict(expect, result["ci_low"], result["ci_high"], delta)] += 1
        covered += result["ci_low"] <= truth <= result["ci_high"]
    return {key: value / draws for key, value in counts.items()}, covered / draws


def test_identical_classifiers_are_never_better_and_are_shown_equivalent():
    better, _ = rates(600, 3, 10_000, 0.0, "better")
    assert better[S] <= 0.03 and better[B] <= 0.03  # both would claim a real gain
    equivalent, _ = rates(300, 8, 10_000, 0.0, "equivalent")  # 3 seeds: t with 2 df leaves this open 1/3 of draws
    assert equivalent[S] >= 0.9 and equivalent[R] <= 0.03


def test_a_two_point_gap_is_better_by_more_than_the_margin():
    better, _ = rates(400, 3, 10_000, 2.0, "better", accuracy=0.97)
    assert better[S] >= 0.95 and better[R] == 0
    equivalent, _ = rates(400, 3, 10_000, 2.0, "equivalent", accuracy=0.97)
    assert equivalent[R] >= 0.95


def test_a_gain_inside_the_margin_is_never_supported_and_reads_below_or_refuted():
    # the old rule called this true +0.1 pt gain "supported" in about half of the draws
    better, _ = rates(400, 8, 10_000, 0.1, "better")
    assert better[S] <= 0.03
    assert better[B] + better[R] >= 0.9


def test_a_gap_exactly_at_the_margin_is_left_open():
    better, _ = rates(600, 8, 10_000, 100 * DELTA, "better")
    assert better[S] <= 0.04 and better[R] <= 0.04 and better[B] <= 0.04
    assert better[I] >= 0.9


@pytest.mark.parametrize("seeds, seed_sd", [(2, 0.0), (2, 0.1), (2, 0.25), (2, 0.5), (3, 0.0), (3, 0.1),
                                            (3, 0.25), (3, 0.5), (8, 0.5)])
def test_interval_keeps_its_coverage_at_the_seeds_a_study_runs(seeds, seed_sd):
    _, coverage = rates(1000, seeds, 10_000, 0.3, "better", seed_sd_points=seed_sd, seed=seeds)
    assert coverage >= 0.94


def test_two_seeds_that_happen_to_agree_do_not_make_a_false_gain():
    # no true gap, runs that move by 0.5 pts from seed to seed: the old interval said "better" 7.6% of the time
    better, _ = rates(1000, 2, 10_000, 0.0, "better", delta=0.001, seed_sd_points=0.5)
    assert better[S] <= 0.04  # at most its one-sided 2.5%, up to the noise of 1,000 draws


def test_p_value_agrees_with_the_interval():
    rng = np.random.default_rng(3)
    for gap in (0.0, 0.2, 0.6):
        variant, reference, _ = simulate.study(rng, 3, 5_000, gap, seed_sd_points=0.1)
        result = stats.paired_difference(variant, reference, level=0.95)
        p = stats.p_value(result["difference"], result["seed_term"], result["digit_term"], 3, 5_000)
        assert (p < 0.05) == (result["ci_low"] > 0 or result["ci_high"] < 0)


def test_no_interval_from_one_seed_and_identical_predictions_are_not_certain():
    rng = np.random.default_rng(2)
    variant, reference, _ = simulate.study(rng, 1, 1_000, 0.0)
    one = stats.paired_difference(variant, reference)
    assert math.isnan(one["ci_low"]) and stats.verdict("equivalent", one["ci_low"], one["ci_high"], DELTA) == I
    same = simulate.study(rng, 3, 1_000, 0.0)[0]
    tiny = stats.paired_difference(same, same.copy())  # no discordant digit on 1,000: not shown within 0.1 pt
    assert stats.verdict("equivalent", tiny["ci_low"], tiny["ci_high"], 0.001) == I
    large = simulate.study(rng, 3, 100_000, 0.0)[0]
    many = stats.paired_difference(large, large.copy())
    assert stats.verdict("equivalent", many["ci_low"], many["ci_high"], 0.001) == S


def test_mean_ci_on_known_input():
    result = stats.mean_ci([0.98, 0.99, 1.00])
    assert result["mean"] == pytest.approx(0.99) and result["std"] == pytest.approx(0.01)
    half = scipy_stats.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    assert result["ci_low"] == pytest.approx(0.99 - half) and result["ci_high"] == pytest.approx(0.99 + half)
    assert math.isnan(stats.mean_ci([0.9])["ci_low"])


def test_discordant_counts():
    reference = np.array([1, 1, 0, 0, 1], dtype=bool)
    variant = np.array([1, 0, 1, 1, 1], dtype=bool)
    assert stats.discordant(reference, variant) == (1, 2)
    with pytest.raises(ValueError):
        stats.discordant(reference, variant[:3])


def test_family_level_is_bonferroni():
    assert stats.family_level(0.05, 1) == pytest.approx(0.95)
    assert stats.family_level(0.05, 5) == pytest.approx(0.99)


def test_half_width_to_decide_is_the_widest_decisive_interval():
    assert stats.half_width_to_decide("better", 0.009, DELTA) == pytest.approx(0.004)  # supported up to here
    assert stats.half_width_to_decide("better", 0.001, DELTA) == pytest.approx(0.004)  # refuted / below up to here
    assert stats.half_width_to_decide("better", DELTA, DELTA) == 0.0
    assert stats.half_width_to_decide("equivalent", 0.0, DELTA) == pytest.approx(DELTA)


def test_evidence_needed_would_decide():
    rng = np.random.default_rng(5)
    variant, reference, _ = simulate.study(rng, 3, 1_000, 1.5, accuracy=0.97, seed_sd_points=0.2)
    result = stats.paired_difference(variant, reference)
    needed = stats.evidence_needed("better", result, DELTA)
    target = stats.half_width_to_decide("better", result["difference"], DELTA)
    if not math.isinf(needed["seeds"]):  # with that many seeds the projected interval decides
        s = needed["seeds"]
        assert stats.half_width(result["seed_term"] * 3 / s, result["digit_term"], s, 1_000, 0.95) < target
    if not math.isinf(needed["digits"]):
        n = needed["digits"]
        assert stats.half_width(result["seed_term"], result["digit_term"] * 1_000 / n, 3, n, 0.95) < target
    one = stats.paired_difference(variant[:1], reference[:1])
    assert math.isnan(stats.evidence_needed("better", one, DELTA)["seeds"])


def test_evidence_needed_names_seeds_and_digits_together_where_neither_alone_decides():
    needed = stats.evidence_needed("worse", AT_THE_MARGIN, DELTA)
    assert math.isinf(needed["seeds"]) and math.isinf(needed["digits"])
    n = needed["digits_at_twice_seeds"]
    assert 1_000 < n < 10_000
    target = stats.half_width_to_decide("worse", AT_THE_MARGIN["difference"], DELTA)
    per_seed = AT_THE_MARGIN["seed_term"] * AT_THE_MARGIN["seeds"]
    per_digit = AT_THE_MARGIN["digit_term"] * AT_THE_MARGIN["digits"]

    def half(digits: int) -> float:
        return stats.half_width(per_seed / 12, per_digit / digits, 12, digits, 0.95)
    assert half(n) < target <= half(n - 1)  # the fewest that decide
    lo, hi = stats.interval(AT_THE_MARGIN["difference"], per_seed / 12, per_digit / n, 12, n, 0.95)
    assert stats.verdict("worse", lo, hi, DELTA) == "supported"


def test_planned_interval_agrees_with_simulated_studies():
    rng = np.random.default_rng(7)
    variant, reference, _ = simulate.study(rng, 5, 10_000, 0.3, seed_sd_points=0.1)
    between = float(np.mean(variant[0] != reference[0]))
    within = float(np.mean(variant[0] != variant[1]))
    run_variance = float(np.var(variant.mean(axis=1), ddof=1))
    planned = stats.planned_half_width(5, 10_000, between, within, run_variance)
    measured = stats.paired_difference(variant, reference)
    observed = measured["ci_high"] - measured["difference"]
    assert 0.5 * observed < planned < 2 * observed


def test_seeds_to_decide():
    assert stats.seeds_to_decide("better", 0.009, 0.002, 10_000, between=0.01, within=0.008) <= 5
    # a true gap right at the margin: no number of seeds decides it
    assert math.isinf(stats.seeds_to_decide("better", 0.002, 0.002, 10_000, between=0.013, within=0.008))
