import math

import numpy as np
import pandas as pd
import pytest

from cnnstudy import stats
from cnnstudy.convergence import convergence
from cnnstudy.study import (
    by_run,
    claims_table,
    learning_speed_sentence,
    run_table,
    scope_sentence,
    significance_table,
    summary_table,
)

SETTINGS = {"alpha": 0.05, "relevant_difference": 0.005}
RULE = {"window": 2, "min_gain": 0.005, "min_train_accuracy": 0.98}


def history(val, train=0.995):
    return pd.DataFrame({"epoch": range(1, len(val) + 1), "val_accuracy": val, "train_accuracy": train,
                         "seconds": 2.0})


def runs_frame():
    rows = []
    for variant, accuracies in {"a": [0.90, 0.92, 0.94], "b": [0.80, 0.80, 0.80]}.items():
        for seed, accuracy in enumerate(accuracies):
            rows.append({"variant": variant, "seed": seed, "accuracy": accuracy, "f1_macro": accuracy - 0.01,
                         "latency_ms": 1.0 + seed, "throughput": 100.0, "train_accuracy": accuracy + 0.05,
                         "train_seconds": 10.0, "seconds_per_epoch": 5.0, "epochs": 2, "train_images": 100,
                         "best_val_accuracy": accuracy,
                         "converged": variant == "a"})
    return pd.DataFrame(rows)


def test_summary_aggregates_over_seeds():
    audits = {"a": {"macs": 10, "params": 5}, "b": {"macs": 20, "params": 7}}
    variants = {"a": {"reported_accuracy": 0.95, "description": "A"}, "b": {"reported_accuracy": None}}
    summary = summary_table(runs_frame(), audits, variants).set_index("variant")
    a = summary.loc["a"]
    assert a["accuracy_mean"] == pytest.approx(0.92) and a["accuracy_std"] == pytest.approx(0.02)
    half = 4.302652729911275 * 0.02 / math.sqrt(3)  # t(0.975, 2)
    assert a["accuracy_ci_low"] == pytest.approx(0.92 - half)
    assert a["ours_minus_reported_pts"] == pytest.approx(-3.0)
    assert a["generalisation_gap_pts"] == pytest.approx(5.0)
    assert a["latency_ms"] == 2.0 and a["macs"] == 10
    assert a["converged"] and a["converged_runs"] == 3 and not summary.loc["b", "converged"]
    assert summary.loc["b", "accuracy_std"] == pytest.approx(0, abs=1e-12)
    assert math.isnan(summary.loc["b", "reported_accuracy"])
    assert list(summary.index) == ["a", "b"]  # best first


@pytest.mark.parametrize("val, train, converged, why", [
    ([0.90, 0.97, 0.975, 0.972, 0.973], 0.995, True, "plateau"),
    ([0.90, 0.98, 0.975, 0.96, 0.982], 0.995, True, "plateau"),  # a dip and a recovery are no gain
    ([0.90, 0.95, 0.97, 0.99, 0.995], 0.995, False, "still rose 2.50 pts"),
    ([0.90, 0.95, 0.951, 0.952, 0.952], 0.90, False, "training accuracy 90.00%"),
    ([0.90, 0.95], 0.995, False, "2 epoch(s)"),
])
def test_convergence_rule(val, train, converged, why):
    result = convergence(history(val, train), window=2, min_gain=0.005, min_train_accuracy=0.98)
    assert result["converged"] is converged and why in result["why"]
    assert result["best_val_accuracy"] == max(val)


def test_run_table_judges_each_run():
    metrics = {(v, 0): {"accuracy": 0.9, "f1_macro": 0.9, "precision_macro": 0.9, "recall_macro": 0.9, "loss": 0.3,
                        "training": {"train_images": 100}} for v in ("done", "short")}
    speeds = {key: {"latency_ms": 1.0, "throughput_images_per_s": 10.0} for key in metrics}
    histories = {("done", 0): history([0.9, 0.97, 0.971, 0.972, 0.97]), ("short", 0): history([0.5, 0.7])}
    runs = run_table(metrics, speeds, histories, RULE).set_index("variant")
    assert runs.loc["done", "converged"] and not runs.loc["short", "converged"]
    assert runs.loc["done", "seconds_per_epoch"] == 2.0 and runs.loc["short", "best_val_accuracy"] == 0.7


def correctness(rate, size, seed):
    rng = np.random.default_rng(seed)
    return rng.random(size) < rate


def test_significance_finds_a_large_difference_and_gives_intervals():
    correct = {("good", s): correctness(0.99, 5000, s) for s in range(3)}
    correct.update({("bad", s): correctness(0.80, 5000, 10 + s) for s in range(3)})
    correct.update({("same", s): correctness(0.99, 5000, s) for s in range(3)})
    table = significance_table([("good", "bad"), ("same", "good")], correct, SETTINGS, {"good", "bad", "same"})
    first, second = table.iloc[0], table.iloc[1]
    assert first["finding"] == "better" and first["p_holm"] < 1e-6
    assert first["ci_low_pts"] < first["difference_pts"] < first["ci_high_pts"]
    assert first["difference_pts"] == pytest.approx(100 * np.mean([correct[("good", s)].mean() - correct[("bad", s)].mean()
                                                                   for s in range(3)]))
    assert second["b_reference_only"] == 0 and second["c_variant_only"] == 0
    assert second["finding"] == "equivalent" and second["delta_pts"] == 0.5
    assert table["p_holm"].tolist() == pytest.approx(stats.holm(table["p"].tolist()))


def test_unconverged_comparisons_spend_none_of_the_familys_alpha():
    correct = {(v, s): correctness(0.95 if v == "a" else 0.94, 2000, 10 * s + len(v)) for v in ("a", "b", "c")
               for s in range(3)}
    both = significance_table([("a", "b"), ("c", "b")], correct, SETTINGS, {"a", "b", "c"})
    one = significance_table([("a", "b"), ("c", "b")], correct, SETTINGS, {"a", "b"})
    assert one.loc[0, "p_holm"] == pytest.approx(one.loc[0, "p"]) and one.loc[0, "p"] < both.loc[0, "p_holm"]
    assert math.isnan(one.loc[1, "p_holm"]) and one.loc[1, "finding"].startswith("not tested")


def significance_row(variant, reference, difference, low, high, p_holm):
    return {"variant": variant, "reference": reference, "difference_pts": difference, "ci_low_pts": low,
            "ci_high_pts": high, "p_holm": p_holm, "seeds": 3, "test_digits": 1000, "b_reference_only": 5,
            "c_variant_only": 9, "seed_term": 1e-6, "digit_term": 1e-5}


def summary_frame(converged=("a", "b", "c")):
    return pd.DataFrame({"variant": ["a", "b", "c"], "macs": [1.0, 2.0, 4.0], "seconds_per_epoch": [1.0, 2.0, 4.0],
                         "converged": [v in converged for v in "abc"], "best_val_accuracy": [0.99, 0.98, 0.71],
                         "accuracy_mean": [0.99, 0.98, 0.7], "epochs": [4, 4, 2], "train_images": [900, 900, 200]})


def test_claims_verdicts():
    significance = pd.DataFrame([
        significance_row("a", "b", 1.0, 0.6, 1.4, 0.001),
        significance_row("c", "b", 0.1, -0.6, 0.8, 0.7),
    ])
    claims = [
        {"claim": "a beats b", "tests": [{"variant": "a", "reference": "b", "expect": "better"}]},
        {"claim": "a is worse", "tests": [{"variant": "a", "reference": "b", "expect": "worse"}]},
        {"claim": "c beats b", "tests": [{"variant": "c", "reference": "b", "expect": "better"}]},
        {"claim": "d", "tests": [{"variant": "d", "reference": "b", "expect": "better"}]},
        {"claim": "c is not worse", "tests": [{"variant": "c", "reference": "b", "expect": "not_worse"},
                                              {"variant": "a", "reference": "b", "expect": "worse", "role": "context"}]},
    ]
    table = claims_table(claims, significance, summary_frame(), runs_frame(), SETTINGS)
    assert table["verdict"].tolist() == ["supported", "refuted", "inconclusive", "inconclusive", "inconclusive"]
    first = table.iloc[0]["evidence"]
    assert "+1.00 pts, 95% CI +0.60 to +1.40, delta 0.50" in first and "MACs x0.50" in first
    assert "not run" in table.iloc[3]["evidence"]
    assert "context: a vs b" in table.iloc[4]["evidence"]  # shown, but the refuting context decides nothing
    assert "seeds" in table.iloc[2]["to settle"] and table.iloc[0]["to settle"] == ""


def test_claims_on_unconverged_models_are_not_tested():
    significance = pd.DataFrame([significance_row("c", "b", -20.0, -22.0, -18.0, 1e-9)])
    claims = [{"claim": "c is not worse", "tests": [{"variant": "c", "reference": "b", "expect": "not_worse"}]}]
    row = claims_table(claims, significance, summary_frame(converged=("a", "b")), runs_frame(), SETTINGS).iloc[0]
    assert row["verdict"] == "not tested: models not converged (c; best 71.0% validation accuracy)"
    assert "-20.00 pts" in row["evidence"] and "-> no verdict (not converged)" in row["evidence"]


def test_claim_on_a_reversed_pair_uses_the_same_interval():
    significance = pd.DataFrame([significance_row("a", "b", 2.0, 1.0, 3.0, 0.001)])
    claims = [{"claim": "b is not worse", "tests": [{"variant": "b", "reference": "a", "expect": "not_worse"}]}]
    row = claims_table(claims, significance, summary_frame(), runs_frame(), SETTINGS).iloc[0]
    assert row["verdict"] == "refuted" and "-2.00 pts, 95% CI -3.00 to -1.00" in row["evidence"]


def test_overfitting_evidence_compares_the_gaps():
    claims = [{"claim": "a overfits", "tests": [{"variant": "a", "reference": "b", "role": "overfitting"}]}]
    row = claims_table(claims, pd.DataFrame(), summary_frame(), runs_frame(), SETTINGS).iloc[0]
    assert "a 5.00 pts, b 5.00 pts; difference +0.00 pts" in row["evidence"]
    assert row["verdict"] == "inconclusive"  # evidence only: no deciding test


def test_scope_sentence_says_what_the_run_can_tell():
    claims = pd.DataFrame({"verdict": ["supported", "not tested: models not converged (c)"]})
    some = scope_sentence(summary_frame(converged=("a", "b")), claims)
    assert "2 of 3 variants converged (a, b, on 900 training digits)" in some and "other 1 are not tested" in some
    none = scope_sentence(summary_frame(converged=()), claims)
    assert "No variant converged (at most 4 epoch(s) on 900 training digits)" in none
    assert "none of the original report's conclusions is judged" in none
    assert "after 2 epoch(s) on 200 training digits: c 70.0%" in learning_speed_sentence(
        summary_frame(converged=("a", "b")))


def test_runs_are_paired_with_their_files_in_the_rules_order():
    assert by_run([["residual-fc2", 13], ["ciresan", "0"]], ["a.json", "b.json"]) == {
        ("residual-fc2", 13): "a.json", ("ciresan", 0): "b.json"}
    with pytest.raises(ValueError, match="2 runs but 1 files"):
        by_run([["a", 0], ["b", 0]], ["a.json"])