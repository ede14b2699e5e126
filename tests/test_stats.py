import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from cnnstudy import stats


@pytest.mark.parametrize("b, c", [(0, 0), (0, 5), (3, 9), (10, 10), (25, 11), (40, 2), (1, 0)])
def test_mcnemar_equals_the_exact_binomial_test(b, c):
    expected = 1.0 if b + c == 0 else scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert stats.mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)


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


def test_paired_t_needs_three_seeds():
    assert math.isnan(stats.paired_t([0.9, 0.91], [0.92, 0.93]))
    expected = scipy_stats.ttest_rel([0.92, 0.95, 0.93], [0.9, 0.91, 0.92]).pvalue
    assert stats.paired_t([0.9, 0.91, 0.92], [0.92, 0.95, 0.93]) == pytest.approx(expected)


def test_detectable_difference_shrinks_with_more_pairs():
    small = stats.detectable_difference(20, 20, 1000)
    large = stats.detectable_difference(200, 200, 10000)
    assert large < small
    assert small == pytest.approx((1.959964 + 0.841621) * math.sqrt(0.04 / 1000), rel=1e-5)


def test_verdicts():
    assert stats.verdict(0.01, 0.001, 0.002, 0.005) == "better"
    assert stats.verdict(-0.01, 0.001, 0.002, 0.005) == "worse"
    assert stats.verdict(0.001, 0.5, 0.002, 0.005) == "no significant difference"
    assert stats.verdict(0.001, 0.5, 0.02, 0.005) == "underpowered"


def test_compare_pools_seeds():
    reference = {0: np.array([1, 1, 1, 0], bool), 1: np.array([1, 0, 1, 1], bool)}
    variant = {0: np.array([1, 1, 1, 1], bool), 1: np.array([1, 1, 1, 1], bool)}
    result = stats.compare(reference, variant, {0: 0.75, 1: 0.75}, {0: 1.0, 1: 1.0})
    assert (result["b"], result["c"]) == (0, 2)
    assert result["difference"] == pytest.approx(0.25)
    assert result["p_pooled"] == pytest.approx(0.5)
    assert [row["p"] for row in result["per_seed"]] == [1.0, 1.0]
    assert math.isnan(result["p_seed_level"])
