"""The study's answer: aggregates over seeds, paired intervals, and the original report's claims judged.

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
from cnnstudy.convergence import convergence
from cnnstudy.tables import interval_text

Key = tuple[str, int]


def run_table(metrics: dict[Key, dict[str, Any]], speeds: dict[Key, dict[str, Any]],
              histories: dict[Key, pd.DataFrame], rule: dict[str, Any]) -> pd.DataFrame:
    """One row per trained (variant, seed): test metrics, speed, and whether it converged
    (``rule``: the convergence settings, see cnnstudy.convergence)."""
    rows = []
    for (variant, seed), m in sorted(metrics.items()):
        history = histories[(variant, seed)]
        last = history.iloc[-1]
        judged = convergence(history, rule["window"], rule["min_gain"], rule["min_train_accuracy"])
        rows.append({
            "variant": variant, "seed": seed, "accuracy": m["accuracy"], "f1_macro": m["f1_macro"],
            "precision_macro": m["precision_macro"], "recall_macro": m["recall_macro"], "loss": m["loss"],
            "latency_ms": speeds[(variant, seed)]["latency_ms"],
            "throughput": speeds[(variant, seed)]["throughput_images_per_s"],
            "train_accuracy": float(last["train_accuracy"]), "epochs": int(last["epoch"]),
            "train_images": int(m["training"]["train_images"]),
            "train_seconds": float(history["seconds"].sum()),
            "seconds_per_epoch": float(history["seconds"].mean()),
            "best_val_accuracy": judged["best_val_accuracy"], "val_gain": judged["val_gain"],
            "converged": judged["converged"], "convergence": judged["why"],
        })
    return pd.DataFrame(rows)


def summary_table(runs: pd.DataFrame, audits: dict[str, dict[str, Any]],
                  variants: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Mean, std and 95% CI of accuracy and macro F1 per variant, beside cost, convergence and
    the accuracy the original report gives for it."""
    rows = []
    for variant, group in runs.groupby("variant", sort=False):
        accuracy = stats.mean_ci(group["accuracy"], bounds=(0.0, 1.0))
        f1 = stats.mean_ci(group["f1_macro"], bounds=(0.0, 1.0))
        reported = variants[variant].get("reported_accuracy")
        rows.append({
            "variant": variant,
            "seeds": accuracy["n"],
            "accuracy_mean": accuracy["mean"], "accuracy_std": accuracy["std"],
            "accuracy_ci_low": accuracy["ci_low"], "accuracy_ci_high": accuracy["ci_high"],
            "f1_mean": f1["mean"], "f1_std": f1["std"], "f1_ci_low": f1["ci_low"], "f1_ci_high": f1["ci_high"],
            "reported_accuracy": math.nan if reported is None else reported,
            "ours_minus_reported_pts": math.nan if reported is None else 100 * (accuracy["mean"] - reported),
            "generalisation_gap_pts": 100 * float((group["train_accuracy"] - group["accuracy"]).mean()),
            "best_val_accuracy": float(group["best_val_accuracy"].mean()),
            "converged_runs": int(group["converged"].sum()),
            "converged": bool(group["converged"].all()),
            "epochs": int(group["epochs"].max()),
            "train_images": int(group["train_images"].max()),
            "macs": audits[variant]["macs"],
            "params": audits[variant]["params"],
            "latency_ms": float(group["latency_ms"].median()),
            "throughput_img_s": float(group["throughput"].median()),
            "train_seconds": float(group["train_seconds"].mean()),
            "seconds_per_epoch": float(group["seconds_per_epoch"].mean()),
            "description": variants[variant].get("description", ""),
        })
    return pd.DataFrame(rows).sort_values("accuracy_mean", ascending=False, ignore_index=True)


def summary_for_report(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as a reader wants it: percentages, intervals in one cell, costs in millions."""
    return pd.DataFrame({
        "variant": summary["variant"],
        "seeds": summary["seeds"],
        "accuracy %": (100 * summary["accuracy_mean"]).round(2),
        "95% CI": [interval_text(lo, hi) for lo, hi in zip(summary["accuracy_ci_low"], summary["accuracy_ci_high"])],
        "std (pts)": (100 * summary["accuracy_std"]).round(2),
        "macro F1 %": (100 * summary["f1_mean"]).round(2),
        "converged": [f"{c}/{n}" for c, n in zip(summary["converged_runs"], summary["seeds"])],
        "epochs": summary["epochs"],
        "training digits": summary["train_images"],
        "original report %": (100 * summary["reported_accuracy"]).round(2),
        "ours - original (pts)": summary["ours_minus_reported_pts"].round(2),
        "MMACs": (summary["macs"] / 1e6).round(1),
        "M params": (summary["params"] / 1e6).round(2),
        "s / epoch": summary["seconds_per_epoch"].round(1),
        "latency ms": summary["latency_ms"].round(2),
        "train - test (pts)": summary["generalisation_gap_pts"].round(2),
        "description": summary["description"],
    })


def significance_table(pairs: list[tuple[str, str]], correct: dict[Key, np.ndarray],
                       settings: dict[str, float], converged: set[str]) -> pd.DataFrame:
    """The paired accuracy difference of each pair over its common seeds, with its interval
    (cnnstudy.stats.paired_difference), and what the interval shows against the relevance
    margin. Holm's family is the pairs of ``converged`` variants: a comparison of unconverged
    models decides nothing, so it spends none of the family's alpha (its p_holm stays NaN)."""
    alpha, delta = settings["alpha"], settings["relevant_difference"]
    rows = []
    for variant, reference in pairs:
        seeds = sorted({s for v, s in correct if v == variant} & {s for v, s in correct if v == reference})
        result = stats.paired_difference(np.stack([correct[(variant, s)] for s in seeds]),
                                         np.stack([correct[(reference, s)] for s in seeds]), 1 - alpha)
        rows.append({
            "variant": variant, "reference": reference, "seeds": result["seeds"], "test_digits": result["digits"],
            "difference_pts": 100 * result["difference"],
            "ci_low_pts": 100 * result["ci_low"], "ci_high_pts": 100 * result["ci_high"],
            "delta_pts": 100 * delta, "p": result["p"],
            "b_reference_only": result["b"], "c_variant_only": result["c"],
            "seed_term": result["seed_term"], "digit_term": result["digit_term"],
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    decides = frame["variant"].isin(converged) & frame["reference"].isin(converged)
    frame["p_holm"] = stats.holm(frame["p"].where(decides).tolist())
    frame["finding"] = [stats.finding(r.ci_low_pts / 100, r.ci_high_pts / 100, r.p_holm, delta, alpha)
                        if r.decides else "not tested (a model did not converge)"
                        for r in frame.assign(decides=decides).itertuples()]
    return frame


def oriented(significance: pd.DataFrame, variant: str, reference: str) -> dict[str, Any] | None:
    """The significance row of a pair, turned to read 'variant minus reference'."""
    for row in significance.to_dict("records"):
        if (row["variant"], row["reference"]) == (variant, reference):
            return row
        if (row["variant"], row["reference"]) == (reference, variant):
            return {**row, "variant": variant, "reference": reference, "difference_pts": -row["difference_pts"],
                    "ci_low_pts": -row["ci_high_pts"], "ci_high_pts": -row["ci_low_pts"],
                    "b_reference_only": row["c_variant_only"], "c_variant_only": row["b_reference_only"]}
    return None


def to_settle(expect: str, row: dict[str, Any], delta: float, level: float) -> str:
    """For an inconclusive test: roughly what more evidence would decide it."""
    result = {"difference": row["difference_pts"] / 100, "seeds": row["seeds"], "digits": row["test_digits"],
              "seed_term": row["seed_term"], "digit_term": row["digit_term"]}
    needed = stats.evidence_needed(expect, result, delta, level)
    if math.isnan(needed["seeds"]):
        return "a second seed first (one seed cannot show run-to-run variation)"
    if math.isinf(needed["seeds"]) and math.isinf(needed["digits"]):
        return "more seeds and more test digits (the estimate sits close to a bound)"
    parts = []
    if not math.isinf(needed["seeds"]):
        parts.append(f"~{needed['seeds']:,} seeds at {row['test_digits']:,} test digits")
    if not math.isinf(needed["digits"]):
        parts.append(f"~{needed['digits']:,} test digits at {row['seeds']} seeds")
    return " or ".join(parts)


def overfitting_line(variant: str, reference: str, runs: pd.DataFrame) -> str:
    """Train-minus-test gap of two variants, and its paired difference over seeds."""
    gap = (runs["train_accuracy"] - runs["accuracy"]).groupby([runs["variant"], runs["seed"]]).first()
    if variant not in gap.index.get_level_values(0) or reference not in gap.index.get_level_values(0):
        return f"overfitting, {variant} vs {reference}: not run"
    seeds = sorted(set(gap[variant].index) & set(gap[reference].index))
    difference = stats.mean_ci([gap[variant][s] - gap[reference][s] for s in seeds])
    interval = interval_text(difference["ci_low"], difference["ci_high"], sign=True)
    return (f"overfitting (train - test accuracy at the last epoch): {variant} {100 * gap[variant].mean():.2f} pts, "
            f"{reference} {100 * gap[reference].mean():.2f} pts; difference {100 * difference['mean']:+.2f} pts"
            + (f", 95% CI {interval} over seeds" if interval else ""))


def accuracy_line(test: dict[str, Any], row: dict[str, Any], variants: pd.DataFrame,
                  settings: dict[str, float]) -> tuple[str, str]:
    """One comparison of a claim as evidence text, and its outcome for the test's expectation."""
    alpha, delta = settings["alpha"], settings["relevant_difference"]
    variant, reference = test["variant"], test["reference"]
    outcome = stats.outcome(test["expect"], row["ci_low_pts"] / 100, row["ci_high_pts"] / 100, row["p_holm"],
                            delta, alpha)
    judged = bool(variants.loc[variant, "converged"] and variants.loc[reference, "converged"])
    interval = interval_text(row["ci_low_pts"], row["ci_high_pts"], scale=1, sign=True)
    p_holm = "-" if math.isnan(row["p_holm"]) else format(row["p_holm"], ".3g")
    costs = variants[["macs", "seconds_per_epoch"]].astype(float)
    ratio = costs.loc[variant] / costs.loc[reference]
    line = (f"{'context: ' if test.get('role') == 'context' else ''}{variant} vs {reference} "
            f"(expect {test['expect'].replace('_', ' ')}): {row['difference_pts']:+.2f} pts, "
            f"{100 * (1 - alpha):.0f}% CI {interval or 'none (one seed)'}, delta {100 * delta:.2f}, p(Holm) {p_holm} "
            f"-> {outcome if judged else 'no verdict (not converged)'}; MACs x{ratio['macs']:.2f}, "
            f"s/epoch x{ratio['seconds_per_epoch']:.2f}" + (f" [{test['note']}]" if test.get("note") else ""))
    return line, outcome


def claims_table(claims: list[dict[str, Any]], significance: pd.DataFrame, summary: pd.DataFrame,
                 runs: pd.DataFrame, settings: dict[str, float]) -> pd.DataFrame:
    """Each of the original report's claims with the evidence and a verdict.

    A claim is decided by its tests of role ``decides``: supported when each passes, refuted
    when one fails (cnnstudy.stats.outcome), inconclusive otherwise. When a variant of those
    tests has not converged, the claim is "not tested" at all: its conclusions are about
    converged accuracy. Tests of role ``context`` are shown and decide nothing; ``overfitting``
    shows the train-minus-test gaps.
    """
    variants = summary.set_index("variant")
    rows = []
    for number, claim in enumerate(claims, start=1):
        outcomes, lines, settle, involved = [], [], [], set()
        for test in claim["tests"]:
            variant, reference, role = test["variant"], test["reference"], test.get("role", "decides")
            if role == "overfitting":
                lines.append(overfitting_line(variant, reference, runs)
                             + (f" [{test['note']}]" if test.get("note") else ""))
                continue
            row = oriented(significance, variant, reference)
            if row is None or variant not in variants.index or reference not in variants.index:
                lines.append(f"{variant} vs {reference}: not run")
                outcomes += ["inconclusive"] if role == "decides" else []
                continue
            line, outcome = accuracy_line(test, row, variants, settings)
            lines.append(line)
            if role == "decides":
                outcomes.append(outcome)
                involved |= {variant, reference}
                if outcome == "inconclusive":
                    settle.append(f"{variant} vs {reference}: "
                                  f"{to_settle(test['expect'], row, settings['relevant_difference'], 1 - settings['alpha'])}")
        unconverged = sorted(v for v in involved if not variants.loc[v, "converged"])
        if unconverged:
            best = 100 * variants.loc[unconverged, "best_val_accuracy"].max()
            verdict = f"not tested: models not converged ({', '.join(unconverged)}; best {best:.1f}% validation accuracy)"
            settle = [f"train {', '.join(unconverged)} until validation accuracy plateaus "
                      f"(convergence column of the summary)"]
        elif "fail" in outcomes:
            verdict = "refuted"
        elif outcomes and all(o == "pass" for o in outcomes):
            verdict = "supported"
        else:
            verdict = "inconclusive"
        decided = verdict in ("supported", "refuted")
        rows.append({"number": number, "claim": claim["claim"], "verdict": verdict, "evidence": " | ".join(lines),
                     "to settle": "" if decided else " | ".join(settle)})
    return pd.DataFrame(rows)


def scope_sentence(summary: pd.DataFrame, claims: pd.DataFrame) -> str:
    """One sentence: what this run can tell and what it cannot."""
    converged = summary[summary["converged"]]
    judged = int((~claims["verdict"].str.startswith("not tested")).sum()) if len(claims) else 0
    digits = "/".join(f"{n:,}" for n in sorted(set(converged["train_images"]))) + " training digits"
    if converged.empty:
        return (f"No variant converged (at most {int(summary['epochs'].max())} epoch(s) on "
                f"{int(summary['train_images'].max()):,} training digits): this run shows how far the architectures "
                "get on a small budget, not which is better when trained to the end, so none of the original "
                "report's conclusions is judged.")
    if len(converged) == len(summary):
        return (f"Every variant converged on {digits}, so each of the original report's conclusions is judged on "
                f"models trained to the end at this data size ({judged} of {len(claims)}), with the margin and "
                "intervals shown; the original trained on 60,000 digits.")
    return (f"{len(converged)} of {len(summary)} variants converged ({', '.join(converged['variant'])}, on {digits}): "
            f"the {judged} conclusion(s) resting only on them are judged at that data size (the original trained on "
            f"60,000 digits); the other {len(claims) - judged} are not tested at this budget.")


def learning_speed_sentence(summary: pd.DataFrame) -> str:
    """What a run whose models did not all converge does show: how far each got on its budget."""
    slow = summary[~summary["converged"]].sort_values("accuracy_mean", ascending=False)
    parts = []
    for (epochs, digits), group in slow.groupby(["epochs", "train_images"], sort=False):
        reached = ", ".join(f"{r.variant} {100 * r.accuracy_mean:.1f}%" for r in group.itertuples())
        parts.append(f"after {epochs} epoch(s) on {digits:,} training digits: {reached}")
    return ("Shown instead (how far each architecture learns on a small budget, not its converged accuracy): "
            "mean test accuracy " + "; ".join(parts) + ".")


def by_run(runs: list[list[Any]], values: list[Any]) -> dict[Key, Any]:
    """Pair each run [variant, seed], as the rule lists them, with its value (a file, a table)."""
    if len(runs) != len(values):
        raise ValueError(f"{len(runs)} runs but {len(values)} files")
    return {(str(variant), int(seed)): value for (variant, seed), value in zip(runs, values)}


def read_predictions(files: dict[Key, str | Path]) -> dict[Key, np.ndarray]:
    """Per-sample correctness of every run."""
    correct = {}
    for key, path in files.items():
        frame = pd.read_csv(path)
        correct[key] = (frame["label"] == frame["predicted"]).to_numpy()
    return correct
