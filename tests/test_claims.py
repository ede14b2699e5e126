"""The claims judged: evidence rows per measure, verdicts per claim, and a family that no
unrelated row can change (as a rate over synthetic studies of known truth)."""

import math

import numpy as np
import pandas as pd
import pytest

import simulate
from cnnstudy import stats
from cnnstudy.claims import claim_verdict, claims_table, decided_sentence, evidence_table, family_size, to_settle
from cnnstudy.study import significance_table
from conftest import AT_THE_MARGIN

SETTINGS = {"alpha": 0.05, "relevant_difference": 0.005, "cost_factor": 2}
AUDITS = {"a": {"macs": 100, "params": 10}, "b": {"macs": 400, "params": 12}, "c": {"macs": 300, "params": 10}}


def runs_frame(correct):
    rows = []
    for (variant, seed), right in correct.items():
        rows.append({"variant": variant, "seed": seed, "accuracy": float(right.mean()), "train_accuracy": 1.0})
    return pd.DataFrame(rows)


def speeds_frame(train_ms, rounds=5, noise=0.01, rng=None):
    """The speed audit's rows: per round, each variant's time times a shared round factor (a
    slow spell of the machine) and its own jitter (log-normal, sd ``noise``)."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for repeat in range(rounds):
        spell = math.exp(rng.normal(0, 0.2))
        for variant, ms in train_ms.items():
            jitter = math.exp(rng.normal(0, noise))
            rows.append({"variant": variant, "repeat": repeat, "train_ms": ms * spell * jitter,
                         "latency_ms": ms * spell * jitter / 3})
    return pd.DataFrame(rows)


def synthetic(rng, gap_points, seeds=4, digits=5_000, accuracy=0.97, extra=()):
    """Predictions of variants a and b (a better by ``gap_points``), and of unrelated ones."""
    variant, reference, _ = simulate.study(rng, seeds, digits, gap_points, accuracy, seed_sd_points=0.2)
    correct = {("a", s): variant[s] for s in range(seeds)} | {("b", s): reference[s] for s in range(seeds)}
    for name in extra:
        other, _, _ = simulate.study(rng, seeds, digits, 0.0, accuracy, seed_sd_points=0.2)
        correct |= {(name, s): other[s] for s in range(seeds)}
    return correct


def judge(claims, correct, trained, pairs=None, train_ms=None, reasons=None):
    pairs = pairs or sorted({(t["variant"], t["reference"]) for c in claims.values() for t in c["tests"]
                             if t.get("measure", "accuracy") in ("accuracy", "gap")})
    significance = significance_table(pairs, correct, SETTINGS, trained)
    speeds = speeds_frame(train_ms or {})
    evidence = evidence_table(claims, significance, runs_frame(correct), trained, AUDITS, speeds, SETTINGS, reasons)
    return evidence, claims_table(claims, evidence)


ELASTIC = {"elastic": {"label": "5", "claim": "a beats b",
                       "tests": [{"variant": "a", "reference": "b", "expect": "better"}]}}


def test_claim_verdict_aggregates_its_tests():
    assert claim_verdict(["supported", "supported"]) == "supported"
    assert claim_verdict(["supported", "below the margin"]) == "below the margin"
    assert claim_verdict(["supported", "inconclusive"]) == "inconclusive"
    assert claim_verdict(["supported", "not tested", "inconclusive"]) == "not tested"
    assert claim_verdict(["supported", "not tested", "refuted"]) == "refuted"
    assert claim_verdict([]) == "inconclusive"


def test_a_clear_gain_is_supported_and_the_evidence_reads_it():
    correct = synthetic(np.random.default_rng(0), 2.5)
    evidence, claims = judge(ELASTIC, correct, {"a", "b"})
    row = evidence.iloc[0]
    assert row["verdict"] == "supported" and row["shows"] == "better by more than the margin"
    assert row["level %"] == 95 and row["difference"].endswith("pts") and row["margin"] == "0.50 pts"
    assert claims.iloc[0]["verdict"] == "supported" and claims.iloc[0]["to settle"] == ""


def test_a_model_not_trained_far_enough_leaves_the_claim_not_tested():
    correct = synthetic(np.random.default_rng(1), 2.5)
    evidence, claims = judge(ELASTIC, correct, {"a"})
    assert evidence.iloc[0]["verdict"] == "not tested" and "train b far enough" in evidence.iloc[0]["to settle"]
    assert claims.iloc[0]["verdict"] == "not tested"
    told, _ = judge(ELASTIC, correct, {"a"}, reasons={"b": "twice the epochs raised it +0.98 pts, so give it more epochs"})
    assert told.iloc[0]["to settle"] == "train b far enough: twice the epochs raised it +0.98 pts, so give it more epochs"


def test_cost_tests_need_no_training_and_read_ratios_against_the_factor():
    correct = synthetic(np.random.default_rng(2), 0.0)
    claims = {"pooling": {"claim": "a cuts compute a lot", "tests": [
        {"variant": "a", "reference": "b", "measure": "macs", "expect": "better"},
        {"variant": "c", "reference": "b", "measure": "macs", "expect": "better"},
        {"variant": "a", "reference": "b", "measure": "params", "expect": "better"},
        {"variant": "a", "reference": "b", "measure": "train_ms", "expect": "better"}]}}
    evidence, table = judge(claims, correct, set(), train_ms={"a": 10.0, "b": 35.0})
    macs, smaller, params, seconds = evidence.to_dict("records")
    assert macs["verdict"] == "supported" and macs["difference"] == "x4.00" and macs["margin"] == "x2.00"
    assert smaller["verdict"] == "below the margin" and smaller["difference"] == "x1.33"
    assert params["verdict"] == "below the margin"  # 12 / 10: fewer, by less than the factor
    assert seconds["verdict"] == "supported" and seconds["level %"] == 95  # one interval test: no correction
    assert table.iloc[0]["verdict"] == "below the margin"
    assert family_size(claims["pooling"]) == 1


def test_a_larger_overfitting_gap_is_worse():
    rng = np.random.default_rng(3)
    correct = synthetic(rng, -3.0)  # a is 3 points worse on test digits while both fit their training digits
    claims = {"overfits": {"claim": "a overfits", "tests": [
        {"variant": "a", "reference": "b", "measure": "gap", "expect": "worse"}]}}
    evidence, _ = judge(claims, correct, {"a", "b"})
    assert evidence.iloc[0]["verdict"] == "supported" and evidence.iloc[0]["difference"].startswith("-")


def test_a_claim_reads_its_intervals_at_its_family_level():
    correct = synthetic(np.random.default_rng(4), 1.0)
    claims = {"one": {"claim": "x", "tests": [{"variant": "a", "reference": "b", "expect": "better"},
                                              {"variant": "a", "reference": "b", "expect": "not_worse"},
                                              {"variant": "a", "reference": "b", "measure": "macs", "expect": "better"},
                                              {"variant": "b", "reference": "a", "expect": "worse",
                                               "role": "context"}]}}
    evidence, _ = judge(claims, correct, {"a", "b"})
    assert family_size(claims["one"]) == 2
    assert evidence["level %"].tolist()[:2] == [97.5, 97.5]
    widths = [float(text.split(" to ")[1].split()[0]) - float(text.split(" to ")[0].split()[0])
              for text in evidence["interval"][:1]]
    plain = significance_table([("a", "b")], correct, SETTINGS, {"a", "b"}).iloc[0]
    assert widths[0] > plain["ci_high_pts"] - plain["ci_low_pts"]


@pytest.mark.parametrize("gap", [0.3, 0.9])
def test_no_unrelated_row_changes_a_verdict(gap):
    """Over many draws near the margins: another claim, a context row and extra comparisons
    beside claim 5 never turn its verdict (the old Holm family over every pair did)."""
    rng = np.random.default_rng(int(10 * gap))
    changed = 0
    for _ in range(60):
        correct = synthetic(rng, gap, extra=("x", "y", "z"))
        _, alone = judge(ELASTIC, correct, {"a", "b", "x", "y", "z"})
        crowded = {**ELASTIC, "other": {"claim": "x beats y", "tests": [
            {"variant": "x", "reference": "y", "expect": "better"},
            {"variant": "x", "reference": "z", "expect": "worse"}]}}
        crowded["elastic"] = {**ELASTIC["elastic"], "tests": ELASTIC["elastic"]["tests"] + [
            {"variant": "x", "reference": "b", "expect": "better", "role": "context"}]}
        pairs = [("a", "b"), ("x", "y"), ("x", "z"), ("x", "b"), ("y", "z"), ("z", "a")]
        _, beside = judge(crowded, correct, {"a", "b", "x", "y", "z"}, pairs=pairs)
        _, fewer_trained = judge(crowded, correct, {"a", "b"}, pairs=pairs)
        verdicts = {alone.iloc[0]["verdict"], beside.iloc[0]["verdict"], fewer_trained.iloc[0]["verdict"]}
        changed += len(verdicts) > 1
    assert changed == 0


def test_decided_sentence_reads_as_english():
    frame = pd.DataFrame({"verdict": ["supported", "refuted", "inconclusive"]})
    assert decided_sentence(frame) == "This run decided 2 conclusions of 3 (1 supported, 1 refuted)."
    assert decided_sentence(frame.iloc[:1]) == "This run decided 1 conclusion of 1 (1 supported)."
    assert decided_sentence(frame.iloc[2:]) == "This run decided no conclusion of 1."


def test_a_pair_without_runs_is_not_run():
    correct = synthetic(np.random.default_rng(5), 0.0)
    claims = {"x": {"claim": "c beats a", "tests": [{"variant": "c", "reference": "a", "expect": "better"}]}}
    significance = significance_table([("a", "b")], correct, SETTINGS, {"a", "b"})
    evidence = evidence_table(claims, significance, runs_frame(correct), {"a", "b"}, AUDITS, speeds_frame({}),
                              SETTINGS)
    assert evidence.iloc[0]["shows"] == "not run" and evidence.iloc[0]["verdict"] == "not tested"
    assert math.isnan(evidence.iloc[0]["difference_value"])
    assert evidence.iloc[0]["to settle"].startswith("train c (")  # a, trained, is not asked for again
    assert stats.INCONCLUSIVE not in claims_table(claims, evidence)["verdict"].tolist()


def test_speed_verdicts_at_the_factor_err_no_more_than_alpha_over_many_audits():
    """A variant exactly twice as fast as its reference (the factor: the boundary of 'better')
    may read either way only by chance: over 1,000 synthetic speed audits of 5 rounds, with a
    slow spell shared by each round and 3% jitter per timing, 'supported' (faster than the
    factor) and 'refuted' (slower than it) each come out at most about alpha / 2."""
    claims = {"speed": {"claim": "a trains faster", "tests": [
        {"variant": "a", "reference": "b", "measure": "train_ms", "expect": "better"}]}}
    rng = np.random.default_rng(11)
    verdicts = []
    for _ in range(1_000):
        speeds = speeds_frame({"a": 10.0, "b": 20.0}, rounds=5, noise=0.03, rng=rng)
        evidence = evidence_table(claims, pd.DataFrame(), pd.DataFrame(), set(), AUDITS, speeds, SETTINGS)
        verdicts.append(evidence.iloc[0]["verdict"])
    for wrong in ("supported", "refuted"):
        assert verdicts.count(wrong) / len(verdicts) <= SETTINGS["alpha"] / 2 + 0.015, wrong


def test_a_clear_speed_gain_is_supported_whatever_slow_spells_the_machine_has():
    """Ten times faster, with round factors of up to +-50%: the interleaved ratio still reads it."""
    claims = {"speed": {"claim": "a trains faster", "tests": [
        {"variant": "a", "reference": "b", "measure": "train_ms", "expect": "better"},
        {"variant": "a", "reference": "b", "measure": "latency_ms", "expect": "better"}]}}
    rng = np.random.default_rng(12)
    decided = 0
    for _ in range(200):
        speeds = speeds_frame({"a": 1.0, "b": 10.0}, rounds=5, noise=0.05, rng=rng)
        evidence = evidence_table(claims, pd.DataFrame(), pd.DataFrame(), set(), AUDITS, speeds, SETTINGS)
        decided += claims_table(claims, evidence).iloc[0]["verdict"] == "supported"
    assert decided / 200 >= 0.95


def test_an_inconclusive_test_at_the_margin_says_how_much_of_both_would_decide():
    """Neither more seeds nor more test digits alone decide the fp32 default's question 1
    accuracy: the reader is told a combination, with this run's counts beside it."""
    terms = AT_THE_MARGIN
    needed = stats.evidence_needed("worse", terms, 0.005)
    text = to_settle("worse", terms, 0.005, 0.95, "accuracy")
    assert text == (f"more seeds and more test digits, neither alone: ~{needed['digits_at_twice_seeds']:,} test "
                    f"digits at 12 seeds (this run: 1,000 at 6)")
    on_the_margin = dict(terms, difference=-0.005)  # no interval decides a difference on the margin
    assert to_settle("worse", on_the_margin, 0.005, 0.95, "accuracy").endswith("(the estimate sits close to a bound)")
