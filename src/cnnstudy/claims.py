"""The original report's claims judged: one evidence row per test, one verdict per claim.

A claim (config ``claims``) is a conclusion of the original report with the tests that decide
it. Each test compares a variant with a reference on one measure and reads the interval of the
difference from the decision table (cnnstudy.stats.VERDICTS). The measures, each signed so that
a positive difference means "the variant is better":

- ``accuracy``: test accuracy, variant minus reference, paired over test digits and seeds;
- ``gap``: overfitting, the reference's train-minus-test accuracy gap minus the variant's (a
  variant that overfits more is ``worse``);
- ``macs``, ``params``: cost from the audit, the log of reference / variant (exact counts);
- ``train_ms``, ``latency_ms``: measured cost from the speed audit (random weights, so no
  training needed), the log of reference / variant per interleaved round, with a t interval
  over rounds. The margin of a cost test is the log of its ``factor``.

Multiplicity: the family is one claim's deciding tests that carry an interval (the audit's
counts are exact). Their intervals are read at level 1 - alpha / k (Bonferroni), so they hold
together with probability 1 - alpha and the claim's verdict is wrong at most that often;
context rows, other claims and extra comparisons never change it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cnnstudy import stats
from cnnstudy.tables import count

NOT_TESTED = "not tested"
EXACT = ("macs", "params")
MEASURED_COST = ("train_ms", "latency_ms")
NEEDS_TRAINED = ("accuracy", "gap")
UNITS = {"accuracy": "accuracy", "gap": "train-test gap", "macs": "MACs", "params": "parameters",
         "train_ms": "training time", "latency_ms": "latency"}


def family_size(claim: dict[str, Any]) -> int:
    """How many of the claim's deciding tests carry an interval (the Bonferroni family)."""
    return sum(1 for test in claim["tests"]
               if test.get("role", "decides") == "decides" and test.get("measure", "accuracy") not in EXACT)


def claim_verdict(verdicts: list[str]) -> str:
    """A claim holds when each of its deciding tests does: refuted when one is refuted; not
    tested when one could not be judged; inconclusive when one is open; below the margin when
    each holds and one only by less than the margin; supported when each is supported."""
    if not verdicts:
        return stats.INCONCLUSIVE
    for word in (stats.REFUTED, NOT_TESTED, stats.INCONCLUSIVE, stats.BELOW):
        if word in verdicts:
            return word
    return stats.SUPPORTED


def _accuracy_terms(significance: pd.DataFrame, variant: str, reference: str) -> dict[str, Any] | None:
    """The significance row of a pair turned to read 'variant minus reference'."""
    for row in significance.to_dict("records"):
        if (row["variant"], row["reference"]) == (variant, reference):
            return row
        if (row["variant"], row["reference"]) == (reference, variant):
            return {**row, "variant": variant, "reference": reference, "difference": -row["difference"]}
    return None


def _per_seed(runs: pd.DataFrame, variant: str, column: str) -> pd.Series:
    return runs[runs["variant"] == variant].set_index("seed")[column]


def _per_round(speeds: pd.DataFrame, variant: str, column: str) -> pd.Series:
    return speeds[speeds["variant"] == variant].set_index("repeat")[column] if len(speeds) else pd.Series()


def measure_difference(test: dict[str, Any], significance: pd.DataFrame, runs: pd.DataFrame,
                       audits: dict[str, dict[str, Any]], speeds: pd.DataFrame, level: float) -> dict[str, Any] | None:
    """The test's difference (variant better: positive) and its interval at ``level``; None
    when a variant has no run (or no audit, or no timing)."""
    variant, reference, measure = test["variant"], test["reference"], test.get("measure", "accuracy")
    if measure in EXACT:
        if variant not in audits or reference not in audits:
            return None
        value = math.log(float(audits[reference][measure]) / float(audits[variant][measure]))
        return {"difference": value, "ci_low": value, "ci_high": value, "seeds": 0, "terms": None}
    if measure in MEASURED_COST:
        ours, theirs = _per_round(speeds, variant, measure), _per_round(speeds, reference, measure)
        rounds = sorted(set(ours.index) & set(theirs.index))
        if not rounds:
            return None
        logs = [math.log(theirs[r] / ours[r]) for r in rounds]
        interval = stats.mean_ci(logs, level)
        return {"difference": interval["mean"], "ci_low": interval["ci_low"], "ci_high": interval["ci_high"],
                "seeds": len(rounds), "terms": None}
    row = _accuracy_terms(significance, variant, reference)
    if row is None:
        return None
    seeds, digits = int(row["seeds"]), int(row["test_digits"])
    difference, seed_term = row["difference"], row["seed_term"]
    if measure == "gap":  # reference's gap minus the variant's, per seed
        train = _per_seed(runs, reference, "train_accuracy") - _per_seed(runs, variant, "train_accuracy")
        test_acc = _per_seed(runs, variant, "accuracy") - _per_seed(runs, reference, "accuracy")
        per_seed = (train + test_acc).dropna()
        difference, seeds = float(per_seed.mean()), len(per_seed)
        seed_term = float(per_seed.var(ddof=1) / len(per_seed)) if len(per_seed) > 1 else math.nan
    low, high = stats.interval(difference, seed_term, row["digit_term"], seeds, digits, level)
    return {"difference": difference, "ci_low": low, "ci_high": high, "seeds": seeds,
            "terms": {"difference": difference, "seeds": seeds, "digits": digits, "seed_term": seed_term,
                      "digit_term": row["digit_term"]}}


def margin(test: dict[str, Any], settings: dict[str, Any]) -> float:
    """The test's margin on its own scale: delta for accuracy and gap, log(factor) for cost."""
    if test.get("measure", "accuracy") in NEEDS_TRAINED:
        return settings["relevant_difference"]
    return math.log(test.get("factor", settings["cost_factor"]))


def shown(value: float, measure: str) -> str:
    """A difference as a reader reads it: points, or a cost ratio."""
    if math.isnan(value):
        return ""
    return f"{100 * value:+.2f} pts" if measure in NEEDS_TRAINED else f"x{math.exp(value):.2f}"


def to_settle(expect: str, terms: dict[str, Any] | None, delta: float, level: float, measure: str) -> str:
    """For an inconclusive test: roughly what more evidence would decide it."""
    if terms is None or measure != "accuracy":
        if measure in MEASURED_COST:
            return "more rounds of the speed audit (audit.speed.repeats)"
        return "more seeds" if measure == "gap" else ""
    needed = stats.evidence_needed(expect, terms, delta, level)
    if math.isnan(needed["seeds"]):
        return "a second seed first (one seed cannot show run-to-run variation)"
    if math.isinf(needed["seeds"]) and math.isinf(needed["digits"]):
        if math.isinf(needed["digits_at_twice_seeds"]):
            return "more seeds and more test digits (the estimate sits close to a bound)"
        return (f"more seeds and more test digits, neither alone: ~{needed['digits_at_twice_seeds']:,} test digits "
                f"at {2 * terms['seeds']} seeds (this run: {terms['digits']:,} at {terms['seeds']})")
    parts = []
    if not math.isinf(needed["seeds"]):
        parts.append(f"~{needed['seeds']:,} seeds at {terms['digits']:,} test digits")
    if not math.isinf(needed["digits"]):
        parts.append(f"~{needed['digits']:,} test digits at {terms['seeds']} seeds")
    return " or ".join(parts)


def evidence_table(claims: dict[str, dict[str, Any]], significance: pd.DataFrame, runs: pd.DataFrame,
                   trained: set[str], audits: dict[str, dict[str, Any]], speeds: pd.DataFrame,
                   settings: dict[str, Any], reasons: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per test of every claim: the difference, its interval at the claim's family
    level, the margin, what the interval shows and the test's verdict. Accuracy and gap tests
    need both variants in ``trained`` (trained far enough); cost tests do not. ``reasons``
    (cnnstudy.study.untrained_reasons) says why a variant is not and what would make it."""
    reasons = reasons or {}
    rows = []
    for name, claim in claims.items():
        level = stats.family_level(settings["alpha"], family_size(claim))
        for test in claim["tests"]:
            variant, reference = test["variant"], test["reference"]
            measure, role = test.get("measure", "accuracy"), test.get("role", "decides")
            expect = test["expect"]
            bound = margin(test, settings)
            result = measure_difference(test, significance, runs, audits, speeds, level)
            untrained = sorted({variant, reference} - trained) if measure in NEEDS_TRAINED else []
            if result is None:
                verdict, shows = NOT_TESTED, "not run"
                missing = [name for name in (variant, reference) if name not in trained] or [variant, reference]
                settle = (f"train {' and '.join(missing)} (run.variants lists what a run trains; "
                          "config/laptop-study.yaml trains every variant on the 5,000 digits, config/full.yaml "
                          "on full MNIST)")
                result = {"difference": math.nan, "ci_low": math.nan, "ci_high": math.nan, "seeds": 0, "terms": None}
            elif untrained:
                verdict, shows = NOT_TESTED, stats.reading(result["ci_low"], result["ci_high"], bound)
                why = [reasons[net] if len(untrained) == 1 else f"{net}: {reasons[net]}"
                       for net in untrained if net in reasons]
                settle = f"train {', '.join(untrained)} far enough" + (
                    f": {'; '.join(why)}" if why else " (the summary's trained-far-enough column says why not)")
            else:
                verdict = stats.verdict(expect, result["ci_low"], result["ci_high"], bound)
                shows = stats.reading(result["ci_low"], result["ci_high"], bound)
                settle = (to_settle(expect, result["terms"], bound, level, measure)
                          if verdict == stats.INCONCLUSIVE else "")
            rows.append({
                "claim": name, "label": claim.get("label", name), "role": role, "test": f"{variant} vs {reference}",
                "measure": measure, "expect": expect.replace("_", " "), "seeds": result["seeds"],
                "difference": shown(result["difference"], measure),
                "interval": (f"{shown(result['ci_low'], measure)} to {shown(result['ci_high'], measure)}"
                             if not math.isnan(result["ci_low"]) else ""),
                "level %": round(100 * level, 2) if measure not in EXACT else math.nan,
                "margin": shown(bound, measure).lstrip("+"), "shows": shows, "verdict": verdict,
                "to settle": settle, "note": test.get("note", ""),
                "difference_value": result["difference"], "ci_low_value": result["ci_low"],
                "ci_high_value": result["ci_high"],
            })
    return pd.DataFrame(rows)


def claims_table(claims: dict[str, dict[str, Any]], evidence: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: its verdict from its deciding tests (``claim_verdict``) and what
    would settle it when it is not decided."""
    rows = []
    for name, claim in claims.items():
        tests = evidence[(evidence["claim"] == name) & (evidence["role"] == "decides")] if len(evidence) else evidence
        verdict = claim_verdict(tests["verdict"].tolist() if len(tests) else [])
        open_tests = tests[~tests["verdict"].isin(stats.DECIDED)] if len(tests) else tests
        settle = " | ".join(f"{r['test']} ({UNITS[r['measure']]}): {r['to settle']}"
                            for r in open_tests.to_dict("records") if r["to settle"])
        rows.append({"claim": name, "label": claim.get("label", name), "conclusion": claim["claim"],
                     "verdict": verdict, "tests": len(tests), "to settle": "" if verdict in stats.DECIDED else settle})
    return pd.DataFrame(rows)


def decided_sentence(claims: pd.DataFrame) -> str:
    """How many of the conclusions this run decided, in words."""
    decided = claims[claims["verdict"].isin(stats.DECIDED)]
    counts = [f"{int((decided['verdict'] == word).sum())} {word}" for word in stats.DECIDED
              if (decided["verdict"] == word).any()]
    return (f"This run decided {count(len(decided), 'conclusion')} of {len(claims)}"
            + (f" ({', '.join(counts)})" if counts else "") + ".")


def scope_sentence(summary: pd.DataFrame, claims: pd.DataFrame, untrained: list[str] = ()) -> str:
    """What this run can tell: how many conclusions it decided, on which trained models, and
    which variants it did not train (``untrained``: their names, audited only)."""
    trained = summary[summary["converged"]]
    short = summary[~summary["converged"]].sort_values("best_val_accuracy", ascending=False)
    digits = "/".join(f"{n:,}" for n in sorted(set(trained["train_images"])))
    parts = [decided_sentence(claims)]
    if len(trained):
        parts.append(f"Trained far enough to judge: {', '.join(trained['variant'])} ({digits} training digits, "
                     "where the original trained on 60,000).")
    else:
        parts.append(f"None of the {count(len(summary), 'variant')} trained far enough to judge its accuracy.")
    if len(short):
        parts.append("Not trained far enough, so their accuracy decides nothing: "
                     + ", ".join(f"{r.variant} ({100 * r.best_val_accuracy:.1f}% validation accuracy after "
                                 f"{count(int(r.epochs), 'epoch')})" for r in short.itertuples()) + ".")
    if untrained:
        parts.append(f"Audited, not trained in this run (run.variants): {', '.join(untrained)}; what training "
                     "each costs and where to do it: below.")
    return " ".join(parts)
