import math

import numpy as np
import pandas as pd
import pytest

from cnnstudy.study import budget_caveat, claims_table, judge, run_key, significance_table, summary_table

SETTINGS = {"alpha": 0.05, "power": 0.8, "relevant_difference": 0.005}


def runs_frame():
    rows = []
    for variant, accuracies in {"a": [0.90, 0.92, 0.94], "b": [0.80, 0.80, 0.80]}.items():
        for seed, accuracy in enumerate(accuracies):
            rows.append({"variant": variant, "seed": seed, "accuracy": accuracy, "f1_macro": accuracy - 0.01,
                         "latency_ms": 1.0 + seed, "throughput": 100.0, "train_accuracy": accuracy + 0.05,
                         "train_seconds": 10.0})
    return pd.DataFrame(rows)


def test_summary_aggregates_over_seeds():
    audits = {"a": {"macs": 10, "params": 5}, "b": {"macs": 20, "params": 7}}
    variants = {"a": {"seed_accuracy": 0.95, "description": "A"}, "b": {"seed_accuracy": None}}
    summary = summary_table(runs_frame(), audits, variants).set_index("variant")
    a = summary.loc["a"]
    assert a["accuracy_mean"] == pytest.approx(0.92) and a["accuracy_std"] == pytest.approx(0.02)
    half = 4.302652729911275 * 0.02 / math.sqrt(3)  # t(0.975, 2)
    assert a["accuracy_ci_low"] == pytest.approx(0.92 - half)
    assert a["ours_minus_seed_pts"] == pytest.approx(-3.0)
    assert a["generalisation_gap_pts"] == pytest.approx(5.0)
    assert a["latency_ms"] == 2.0 and a["macs"] == 10
    assert summary.loc["b", "accuracy_std"] == pytest.approx(0, abs=1e-12) and math.isnan(summary.loc["b", "seed_accuracy"])
    assert list(summary.index) == ["a", "b"]  # best first


def correctness(rate, size, seed):
    rng = np.random.default_rng(seed)
    return rng.random(size) < rate


def test_significance_finds_a_large_difference_and_flags_a_small_test():
    correct = {("good", s): correctness(0.99, 5000, s) for s in range(3)}
    correct.update({("bad", s): correctness(0.80, 5000, 10 + s) for s in range(3)})
    correct.update({("tiny", s): correctness(0.99, 5000, s) for s in range(3)})
    accuracy = {key: float(value.mean()) for key, value in correct.items()}
    table = significance_table([("good", "bad"), ("tiny", "good")], correct, accuracy, SETTINGS)
    first, second = table.iloc[0], table.iloc[1]
    assert first["verdict"] == "better" and first["p_pooled_holm"] < 1e-10
    assert first["difference_pts"] == pytest.approx(100 * (np.mean([accuracy[("good", s)] for s in range(3)])
                                                           - np.mean([accuracy[("bad", s)] for s in range(3)])))
    assert second["b_reference_only"] == 0 and second["c_variant_only"] == 0
    assert second["verdict"] == "no significant difference"


def test_one_seed_small_test_is_underpowered():
    correct = {("x", 0): correctness(0.9, 200, 0), ("y", 0): correctness(0.9, 200, 1)}
    accuracy = {key: float(value.mean()) for key, value in correct.items()}
    row = significance_table([("x", "y")], correct, accuracy, SETTINGS).iloc[0]
    if row["p_pooled_holm"] >= 0.05:
        assert row["verdict"] == "underpowered"
    assert "1 seed(s)" in row["note"] and "could only detect" in row["note"]


@pytest.mark.parametrize("expect, verdict, outcome", [
    ("better", "better", "pass"), ("better", "worse", "fail"), ("better", "underpowered", "open"),
    ("not_worse", "no significant difference", "pass"), ("not_worse", "worse", "fail"),
    ("not_better", "better", "fail"), ("worse", "no significant difference", "open"),
])
def test_judge(expect, verdict, outcome):
    assert judge(expect, verdict) == outcome


def test_claims_verdicts():
    significance = pd.DataFrame([
        {"variant": "a", "reference": "b", "difference_pts": 1.0, "verdict": "better",
         "p_pooled_holm": 0.001, "p_seed_level_holm": math.nan},
        {"variant": "c", "reference": "b", "difference_pts": 0.1, "verdict": "underpowered",
         "p_pooled_holm": 0.7, "p_seed_level_holm": math.nan},
    ])
    summary = pd.DataFrame({"variant": ["a", "b", "c"], "macs": [1.0, 2.0, 4.0]})
    claims = [
        {"claim": "a beats b", "tests": [{"variant": "a", "reference": "b", "expect": "better"}]},
        {"claim": "a is worse", "tests": [{"variant": "a", "reference": "b", "expect": "worse"}]},
        {"claim": "c beats b", "tests": [{"variant": "c", "reference": "b", "expect": "better"}]},
        {"claim": "d", "tests": [{"variant": "d", "reference": "b", "expect": "better"}]},
    ]
    table = claims_table(claims, significance, summary)
    assert table["verdict"].tolist() == ["supported", "refuted", "not shown", "not shown"]
    assert "MACs x0.50" in table.iloc[0]["evidence"] and "not run" in table.iloc[3]["evidence"]


def test_run_key():
    assert run_key("results/mnist5k/residual-fc2/seed13/metrics.json") == ("residual-fc2", 13)


def test_claim_on_a_reversed_pair_uses_the_same_test():
    significance = pd.DataFrame([{"variant": "a", "reference": "b", "difference_pts": 2.0, "verdict": "better",
                                  "p_pooled_holm": 0.001, "p_seed_level_holm": math.nan}])
    summary = pd.DataFrame({"variant": ["a", "b"], "macs": [1.0, 1.0]})
    claims = [{"claim": "b is not worse", "tests": [{"variant": "b", "reference": "a", "expect": "not_worse"}]}]
    row = claims_table(claims, significance, summary).iloc[0]
    assert row["verdict"] == "refuted" and "-2.00 pts" in row["evidence"] and "worse" in row["evidence"]


def test_budget_caveat_speaks_up_only_far_from_convergence():
    assert "learns faster" in budget_caveat(pd.DataFrame({"accuracy_mean": [0.80, 0.93]}))
    assert "learns faster" not in budget_caveat(pd.DataFrame({"accuracy_mean": [0.985, 0.991]}))
