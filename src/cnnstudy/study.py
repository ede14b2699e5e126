"""The study's answer: aggregates over seeds, paired tests, and the seed's claims judged.

Every function takes plain tables (pandas) or dicts and returns a table, so the workflow's
scripts only read files and write the results.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cnnstudy import stats

EXPECTATIONS = {
    # expect -> (verdicts that support, verdicts that refute)
    "better": ({"better"}, {"worse"}),
    "worse": ({"worse"}, {"better"}),
    "not_worse": ({"better", "no significant difference"}, {"worse"}),
    "not_better": ({"worse", "no significant difference"}, {"better"}),
}


FLIPPED = {"better": "worse", "worse": "better"}


def run_table(metrics: dict[tuple[str, int], dict[str, Any]], speeds: dict[tuple[str, int], dict[str, Any]],
              histories: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    """One row per trained (variant, seed): test metrics, speed and the last epoch's gap."""
    rows = []
    for (variant, seed), m in sorted(metrics.items()):
        last = histories[(variant, seed)].iloc[-1]
        rows.append({
            "variant": variant, "seed": seed, "accuracy": m["accuracy"], "f1_macro": m["f1_macro"],
            "precision_macro": m["precision_macro"], "recall_macro": m["recall_macro"], "loss": m["loss"],
            "latency_ms": speeds[(variant, seed)]["latency_ms"],
            "throughput": speeds[(variant, seed)]["throughput_images_per_s"],
            "train_accuracy": float(last["train_accuracy"]), "epochs": int(last["epoch"]),
            "train_seconds": float(histories[(variant, seed)]["seconds"].sum()),
        })
    return pd.DataFrame(rows)


def summary_table(runs: pd.DataFrame, audits: dict[str, dict[str, Any]],
                  variants: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Mean, std and 95% CI of accuracy and macro F1 per variant, beside cost and the seed."""
    rows = []
    for variant, group in runs.groupby("variant", sort=False):
        accuracy = stats.mean_ci(group["accuracy"], bounds=(0.0, 1.0))
        f1 = stats.mean_ci(group["f1_macro"], bounds=(0.0, 1.0))
        seed_accuracy = variants[variant].get("seed_accuracy")
        rows.append({
            "variant": variant,
            "seeds": accuracy["n"],
            "accuracy_mean": accuracy["mean"], "accuracy_std": accuracy["std"],
            "accuracy_ci_low": accuracy["ci_low"], "accuracy_ci_high": accuracy["ci_high"],
            "f1_mean": f1["mean"], "f1_std": f1["std"], "f1_ci_low": f1["ci_low"], "f1_ci_high": f1["ci_high"],
            "seed_accuracy": math.nan if seed_accuracy is None else seed_accuracy,
            "ours_minus_seed_pts": math.nan if seed_accuracy is None else 100 * (accuracy["mean"] - seed_accuracy),
            "generalisation_gap_pts": 100 * float((group["train_accuracy"] - group["accuracy"]).mean()),
            "macs": audits[variant]["macs"],
            "params": audits[variant]["params"],
            "latency_ms": float(group["latency_ms"].median()),
            "throughput_img_s": float(group["throughput"].median()),
            "train_seconds": float(group["train_seconds"].mean()),
            "description": variants[variant].get("description", ""),
        })
    return pd.DataFrame(rows).sort_values("accuracy_mean", ascending=False, ignore_index=True)


def summary_for_report(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as a reader wants it: percentages, intervals in one cell, costs in millions."""

    def interval(low: float, high: float) -> str:
        return "" if math.isnan(low) else f"{100 * low:.2f} - {100 * high:.2f}"

    return pd.DataFrame({
        "variant": summary["variant"],
        "seeds": summary["seeds"],
        "accuracy %": (100 * summary["accuracy_mean"]).round(2),
        "95% CI": [interval(lo, hi) for lo, hi in zip(summary["accuracy_ci_low"], summary["accuracy_ci_high"])],
        "std (pts)": (100 * summary["accuracy_std"]).round(2),
        "macro F1 %": (100 * summary["f1_mean"]).round(2),
        "seed's accuracy %": (100 * summary["seed_accuracy"]).round(2),
        "ours - seed (pts)": summary["ours_minus_seed_pts"].round(2),
        "MMACs": (summary["macs"] / 1e6).round(1),
        "M params": (summary["params"] / 1e6).round(2),
        "latency ms": summary["latency_ms"].round(2),
        "train - test (pts)": summary["generalisation_gap_pts"].round(2),
        "description": summary["description"],
    })


def significance_table(pairs: list[tuple[str, str]], correct: dict[tuple[str, int], np.ndarray],
                       accuracy: dict[tuple[str, int], float], settings: dict[str, float]) -> pd.DataFrame:
    """Exact McNemar per seed and pooled, a seed-level t-test (>= 3 seeds), Holm over the family."""
    alpha, power, relevant = settings["alpha"], settings["power"], settings["relevant_difference"]
    rows = []
    for variant, reference in pairs:
        seeds_v = {s: c for (v, s), c in correct.items() if v == variant}
        seeds_r = {s: c for (v, s), c in correct.items() if v == reference}
        result = stats.compare(
            seeds_r, seeds_v,
            {s: accuracy[(reference, s)] for s in seeds_r}, {s: accuracy[(variant, s)] for s in seeds_v},
        )
        pairs_count = result["test_size"] * len(result["seeds"])
        rows.append({
            "variant": variant, "reference": reference, "seeds": len(result["seeds"]),
            "test_size": result["test_size"],
            "difference_pts": 100 * result["difference"],
            "b_reference_only": result["b"], "c_variant_only": result["c"],
            "p_per_seed": "; ".join(f"seed {r['seed']}: {r['p']:.3g}" for r in result["per_seed"]),
            "p_pooled": result["p_pooled"],
            "p_seed_level": result["p_seed_level"],
            "detectable_pts": 100 * stats.detectable_difference(result["b"], result["c"], pairs_count, alpha, power),
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["p_pooled_holm"] = stats.holm(frame["p_pooled"].tolist())
    frame["p_seed_level_holm"] = stats.holm(frame["p_seed_level"].tolist())
    verdicts, notes = [], []
    for row in frame.itertuples():
        verdicts.append(stats.verdict(row.difference_pts / 100, deciding_p(row), row.detectable_pts / 100,
                                      relevant, alpha))
        note = []
        if row.seeds < 3:
            note.append(f"{row.seeds} seed(s): no seed-level test (needs >= 3), pooled McNemar decides")
        if row.detectable_pts / 100 > relevant:
            note.append(f"could only detect differences >= {row.detectable_pts:.2f} pts "
                        f"(relevant: {100 * relevant:.2f}) at power {power:.0%}")
        notes.append("; ".join(note))
    frame["verdict"] = verdicts
    frame["note"] = notes
    return frame


def judge(expect: str, verdict: str) -> str:
    """'pass', 'fail' or 'open' for one test of a claim."""
    supports, refutes = EXPECTATIONS[expect]
    if verdict in refutes:
        return "fail"
    if verdict in supports:
        return "pass"
    return "open"


def claims_table(claims: list[dict[str, Any]], significance: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Each of the seed's claims with our evidence and a verdict: supported, refuted, not shown."""
    by_pair = {}
    for row in significance.itertuples() if len(significance) else []:
        by_pair[(row.variant, row.reference)] = row
        by_pair[(row.reference, row.variant)] = row._replace(
            variant=row.reference, reference=row.variant, difference_pts=-row.difference_pts,
            verdict=FLIPPED.get(row.verdict, row.verdict))
    cost = summary.set_index("variant")
    rows = []
    for number, claim in enumerate(claims, start=1):
        outcomes, evidence = [], []
        for test in claim["tests"]:
            row = by_pair.get((test["variant"], test["reference"]))
            if row is None:
                outcomes.append("open")
                evidence.append(f"{test['variant']} vs {test['reference']}: not run")
                continue
            outcome = judge(test["expect"], row.verdict)
            outcomes.append(outcome)
            macs_ratio = cost.loc[test["variant"], "macs"] / cost.loc[test["reference"], "macs"]
            evidence.append(
                f"{test['variant']} vs {test['reference']} (expect {test['expect'].replace('_', ' ')}): "
                f"{row.difference_pts:+.2f} pts, p(Holm) {deciding_p(row):.3g}, {row.verdict}; "
                f"MACs x{macs_ratio:.2f} -> {outcome}"
            )
        if "fail" in outcomes:
            verdict = "refuted"
        elif all(o == "pass" for o in outcomes):
            verdict = "supported"
        else:
            verdict = "not shown"
        rows.append({"number": number, "claim": claim["claim"], "verdict": verdict, "evidence": " | ".join(evidence)})
    return pd.DataFrame(rows)


def deciding_p(row: Any) -> float:
    """The p-value that decided a comparison: seed-level when there were >= 3 seeds."""
    return row.p_seed_level_holm if not math.isnan(row.p_seed_level_holm) else row.p_pooled_holm


def run_key(path: str | Path) -> tuple[str, int]:
    """(variant, seed) of a file under results/{dataset}/{variant}/seed{seed}/."""
    parts = Path(path).parts
    return parts[-3], int(parts[-2].removeprefix("seed"))


def read_predictions(paths: list[str]) -> tuple[dict[tuple[str, int], np.ndarray], dict[tuple[str, int], float]]:
    """Per-sample correctness and accuracy of every run, keyed by (variant, seed)."""
    correct, accuracy = {}, {}
    for path in paths:
        frame = pd.read_csv(path)
        key = run_key(path)
        correct[key] = (frame["label"] == frame["predicted"]).to_numpy()
        accuracy[key] = float(correct[key].mean())
    return correct, accuracy


def budget_caveat(summary: pd.DataFrame, converged: float = 0.99) -> str:
    """What a verdict means when the models are not trained to the seed's level (about 99%)."""
    best = float(summary["accuracy_mean"].max())
    text = (f"Verdicts judge the models as trained by this run (best mean test accuracy {100 * best:.1f}%). "
            "The seed's models reached about 99% on 60,000 training digits.")
    if best < converged - 0.02:
        text += (" Far from convergence, a verdict says which architecture learns faster from this "
                 "budget, not which is better when trained to the end: only a run with the full "
                 "data and epochs (config/full.yaml) tests the seed's claims as it meant them.")
    return text


def headline_html(dataset: str, summary: pd.DataFrame, claims: pd.DataFrame, significance: pd.DataFrame,
                  scope: str = "") -> str:
    """The study at a glance: the best variants, the claims' verdicts, and how sure we can be."""
    import html

    from cnnstudy.tables import STYLE

    best = summary.iloc[0]
    seeds = int(summary["seeds"].max())
    test_size = int(significance["test_size"].max()) if len(significance) else 0
    underpowered = int((significance["verdict"] == "underpowered").sum()) if len(significance) else 0
    top = "".join(
        f"<tr><td>{html.escape(r.variant)}</td><td class='num'>{100 * r.accuracy_mean:.2f}%</td>"
        f"<td class='num'>{'' if math.isnan(r.accuracy_ci_low) else f'{100 * r.accuracy_ci_low:.2f} - {100 * r.accuracy_ci_high:.2f}'}</td>"
        f"<td class='num'>{'' if math.isnan(r.seed_accuracy) else f'{100 * r.seed_accuracy:.2f}%'}</td>"
        f"<td class='num'>{r.macs / 1e6:,.1f} M</td></tr>"
        for r in summary.itertuples()
    )
    verdicts = "".join(
        f"<li><b>{html.escape(r.verdict)}</b>: {html.escape(r.claim)}</li>" for r in claims.itertuples()
    )
    caveat = (
        f"{seeds} seed(s) per variant on {test_size:,} test digits. {underpowered} of {len(significance)} "
        "comparisons could not have detected a difference of the size that matters here (verdict "
        "'underpowered'): more seeds or the full test set (config/full.yaml) are needed before those "
        "differences mean anything."
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Headline: {html.escape(dataset)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h2>Headline results on {html.escape(dataset)}</h2>"
        f"<p>Best variant: <b>{html.escape(best.variant)}</b> with {100 * best.accuracy_mean:.2f}% mean test accuracy.</p>"
        f"<table><thead><tr><th>variant</th><th>mean accuracy</th><th>95% CI</th><th>seed's report</th>"
        f"<th>MACs / image</th></tr></thead><tbody>{top}</tbody></table>"
        f"<h3>The seed's conclusions</h3><ul>{verdicts}</ul>"
        f"<p class='note'>{html.escape(scope)}</p>"
        f"<p class='note'>{html.escape(caveat)}</p></body></html>\n"
    )
