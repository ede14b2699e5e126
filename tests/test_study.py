import math

import numpy as np
import pandas as pd
import pytest

from cnnstudy import stats
from cnnstudy.claims import scope_sentence
from cnnstudy.study import by_run, run_table, significance_table, summary_table, untrained_reasons

SETTINGS = {"alpha": 0.05, "relevant_difference": 0.005}


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
                         "best_val_accuracy": accuracy, "fits": variant == "a"})
    return pd.DataFrame(rows)


CHECKED = {"a": {"lift": 0.001, "trained": True, "verdict": "trained far enough", "why": "twice the epochs: +0.10"}}


def test_summary_aggregates_over_seeds():
    audits = {"a": {"macs": 10, "params": 5}, "b": {"macs": 20, "params": 7}}
    variants = {"a": {"reported_accuracy": 0.95, "description": "A"}, "b": {"reported_accuracy": None}}
    summary = summary_table(runs_frame(), audits, variants, CHECKED).set_index("variant")
    a = summary.loc["a"]
    assert a["accuracy_mean"] == pytest.approx(0.92) and a["accuracy_std"] == pytest.approx(0.02)
    half = 4.302652729911275 * 0.02 / math.sqrt(3)  # t(0.975, 2)
    assert a["accuracy_ci_low"] == pytest.approx(0.92 - half)
    assert a["ours_minus_reported_pts"] == pytest.approx(-3.0)
    assert a["generalisation_gap_pts"] == pytest.approx(5.0)
    assert a["latency_ms"] == 2.0 and a["macs"] == 10
    assert a["converged"] and a["budget_lift_pts"] == pytest.approx(0.1) and a["budget_check"] == "trained far enough"
    assert not summary.loc["b", "converged"] and summary.loc["b", "trained"] == "3 of 3 runs do not fit their digits"
    assert summary.loc["b", "accuracy_std"] == pytest.approx(0, abs=1e-12)
    assert math.isnan(summary.loc["b", "reported_accuracy"])
    assert list(summary.index) == ["a", "b"]  # best first


def test_a_failed_budget_check_means_not_trained_far_enough():
    runs = runs_frame().assign(fits=True)
    short = {"a": {"lift": 0.02, "trained": False, "verdict": "not trained far enough", "why": "+2.00 pts"}}
    summary = summary_table(runs, {"a": {"macs": 1, "params": 1}, "b": {"macs": 1, "params": 1}},
                            {"a": {}, "b": {}}, short).set_index("variant")
    assert not summary.loc["a", "converged"] and summary.loc["b", "converged"]  # b has no check to pass
    assert summary.loc["b", "budget_check"] == "not checked"


def test_a_variant_not_trained_far_enough_is_told_why_and_what_would_change_it():
    runs = pd.concat([runs_frame().assign(fits=True),
                      runs_frame().query("variant == 'b'").assign(variant="c", fits=False)])
    checks = {"a": {"lift": 0.02, "trained": False, "verdict": "not trained far enough",
                    "why": "twice the epochs raised validation accuracy +2.00 pts, at least the margin 0.50"},
              "b": {"lift": 0.0, "trained": False, "verdict": "cannot tell",
                    "why": "100 validation digits cannot tell a lift of 0 from one of 1.00 pts; about 2,400 would"},
              "c": CHECKED["a"]}
    audits = {name: {"macs": 1, "params": 1} for name in "abc"}
    summary = summary_table(runs, audits, {name: {} for name in "abc"}, checks)
    reasons = untrained_reasons(summary, "digits")
    assert reasons["a"] == ("twice the epochs raised validation accuracy +2.00 pts, at least the margin 0.50, "
                            "so give it more epochs (variants.a.training.epochs, 2 now)")
    assert reasons["b"].startswith("100 validation digits cannot tell") and reasons["b"].endswith(
        "so hold out more validation digits (datasets.digits.validation_fraction)")
    assert reasons["c"].startswith("3 of 3 runs do not fit their digits, so give it more epochs")
    assert set(reasons) == {"a", "b", "c"}
    assert untrained_reasons(summary_table(runs_frame().assign(fits=True), audits, {"a": {}, "b": {}}, {}),
                             "digits") == {}


def test_run_table_judges_each_run_by_its_fit():
    metrics = {(v, 0): {"accuracy": 0.9, "f1_macro": 0.9, "precision_macro": 0.9, "recall_macro": 0.9, "loss": 0.3,
                        "training": {"train_images": 100}} for v in ("done", "short")}
    speeds = {key: {"latency_ms": 1.0, "throughput_images_per_s": 10.0} for key in metrics}
    histories = {("done", 0): history([0.9, 0.97, 0.971]), ("short", 0): history([0.5, 0.7], train=0.8)}
    runs = run_table(metrics, speeds, histories, 0.95).set_index("variant")
    assert runs.loc["done", "fits"] and not runs.loc["short", "fits"]
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
    assert first["shows"] == "better by more than the margin" and first["p"] < 1e-3  # t with 2 df
    assert first["ci_low_pts"] < first["difference_pts"] < first["ci_high_pts"]
    assert first["difference_pts"] == pytest.approx(100 * np.mean([correct[("good", s)].mean() - correct[("bad", s)].mean()
                                                                   for s in range(3)]))
    assert second["b_reference_only"] == 0 and second["c_variant_only"] == 0
    assert second["shows"] == "within the margin both ways" and second["delta_pts"] == 0.5
    judged = significance_table([("good", "bad")], correct, SETTINGS, {"good"})
    assert judged.iloc[0]["shows"].startswith("not judged")
    untrained = significance_table([("good", "never"), ("good", "bad")], correct, SETTINGS, {"good", "bad"})
    assert untrained[["variant", "reference"]].values.tolist() == [["good", "bad"]]  # a pair without runs: no row


def test_the_significance_row_holds_the_terms_a_claim_reads_at_its_own_level():
    correct = {(v, s): correctness(0.95 if v == "a" else 0.94, 2000, 10 * s + len(v)) for v in ("a", "b")
               for s in range(3)}
    row = significance_table([("a", "b")], correct, SETTINGS, {"a", "b"}).iloc[0]
    low, high = stats.interval(row["difference"], row["seed_term"], row["digit_term"], 3, 2000, 0.95)
    assert 100 * low == pytest.approx(row["ci_low_pts"]) and 100 * high == pytest.approx(row["ci_high_pts"])


def summary_frame(converged=("a", "b", "c")):
    return pd.DataFrame({"variant": ["a", "b", "c"], "macs": [1.0, 2.0, 4.0], "seconds_per_epoch": [1.0, 2.0, 4.0],
                         "converged": [v in converged for v in "abc"], "best_val_accuracy": [0.99, 0.98, 0.71],
                         "accuracy_mean": [0.99, 0.98, 0.7], "epochs": [4, 4, 2], "train_images": [900, 900, 200]})


def test_scope_sentence_says_what_the_run_can_tell():
    claims = pd.DataFrame({"verdict": ["supported", "not tested"]})
    some = scope_sentence(summary_frame(converged=("a", "b")), claims)
    assert some.startswith("This run decided 1 conclusion of 2 (1 supported).")
    assert "Trained far enough to judge: a, b (900 training digits" in some
    assert "c (71.0% validation accuracy after 2 epochs)" in some
    none = scope_sentence(summary_frame(converged=()), pd.DataFrame({"verdict": ["not tested"]}), ["d", "e"])
    assert none.startswith("This run decided no conclusion of 1.")
    assert none.endswith("Audited, not trained in this run (run.variants): d, e; what training each costs and "
                         "where to do it: below.")
    assert "None of the 3 variants trained far enough" in none


def test_runs_are_paired_with_their_files_in_the_rules_order():
    assert by_run([["residual-fc2", 13], ["ciresan", "0"]], ["a.json", "b.json"]) == {
        ("residual-fc2", 13): "a.json", ("ciresan", 0): "b.json"}
    with pytest.raises(ValueError, match="2 runs but 1 files"):
        by_run([["a", 0], ["b", 0]], ["a.json"])


def test_a_pair_of_variants_with_their_own_seeds_is_judged_on_the_seeds_both_have():
    """variants.<name>.seeds: the cheap variant has 8 seeds, the other 3; the pair reads seeds 0-2 only."""
    correct = {("many", s): correctness(0.95, 2000, s) for s in range(8)}
    correct.update({("few", s): correctness(0.93, 2000, 100 + s) for s in range(3)})
    row = significance_table([("many", "few")], correct, SETTINGS, {"many", "few"}).iloc[0]
    assert row["seeds"] == 3
    expected = np.mean([correct[("many", s)].mean() - correct[("few", s)].mean() for s in range(3)])
    assert row["difference_pts"] == pytest.approx(100 * expected)
