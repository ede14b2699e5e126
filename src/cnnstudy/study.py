"""The study's answer: aggregates over seeds, paired intervals, and the original report's claims judged.

Every function takes plain tables (pandas) or dicts and returns a table, so the workflow's
scripts only read files and write the results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cnnstudy import stats
from cnnstudy.convergence import fits
from cnnstudy.tables import interval_text

Key = tuple[str, int]


def run_table(metrics: dict[Key, dict[str, Any]], speeds: dict[Key, dict[str, Any]],
              histories: dict[Key, pd.DataFrame], min_train_accuracy: float) -> pd.DataFrame:
    """One row per trained (variant, seed): test metrics, speed, and whether the run fit its
    training digits (cnnstudy.convergence.fits)."""
    rows = []
    for (variant, seed), m in sorted(metrics.items()):
        history = histories[(variant, seed)]
        last = history.iloc[-1]
        judged = fits(history, min_train_accuracy)
        rows.append({
            "variant": variant, "seed": seed, "accuracy": m["accuracy"], "f1_macro": m["f1_macro"],
            "precision_macro": m["precision_macro"], "recall_macro": m["recall_macro"], "loss": m["loss"],
            "latency_ms": speeds[(variant, seed)]["latency_ms"],
            "throughput": speeds[(variant, seed)]["throughput_images_per_s"],
            "train_accuracy": float(last["train_accuracy"]), "epochs": int(last["epoch"]),
            "train_images": int(m["training"]["train_images"]),
            "train_seconds": float(history["seconds"].sum()),
            "seconds_per_epoch": float(history["seconds"].mean()),
            "best_val_accuracy": judged["best_val_accuracy"], "fits": judged["fits"], "fit": judged["why"],
        })
    return pd.DataFrame(rows)


# How the summary's "trained" column opens for a variant whose every run fit its digits.
FITS = "fits, "


def summary_table(runs: pd.DataFrame, audits: dict[str, dict[str, Any]], variants: dict[str, dict[str, Any]],
                  budget: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Mean, std and 95% CI of accuracy and macro F1 per variant, beside cost, whether it was
    trained far enough, and the accuracy the original report gives for it.

    Trained far enough (``converged``): every run fit its training digits and, where the
    variant's accuracy decides a claim, its budget check (``budget``: cnnstudy.convergence.
    budget_check per variant) found that twice the epochs lift it by less than the margin."""
    rows = []
    for variant, group in runs.groupby("variant", sort=False):
        check = budget.get(variant)
        fit = bool(group["fits"].all())
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
            "fit_runs": int(group["fits"].sum()),
            "budget_lift_pts": math.nan if check is None else 100 * check["lift"],
            "budget_check": "not checked" if check is None else check["verdict"],
            "converged": fit and (check is None or check["trained"]),
            "trained": (FITS + ("no budget check" if check is None else check["why"])) if fit
                       else f"{len(group) - int(group['fits'].sum())} of {len(group)} runs do not fit their digits",
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


def untrained_reasons(summary: pd.DataFrame, dataset: str) -> dict[str, str]:
    """Why each variant that is not trained far enough is not, and which setting would change
    that: a reader of a "not tested" verdict needs the fix, not only the fact."""
    reasons = {}
    for row in summary[~summary["converged"].astype(bool)].to_dict("records"):
        why = str(row["trained"]).removeprefix(FITS)
        if row["budget_check"] == "cannot tell":
            fix = f"hold out more validation digits (datasets.{dataset}.validation_fraction)"
        else:
            fix = f"give it more epochs (variants.{row['variant']}.training.epochs, {int(row['epochs'])} now)"
        reasons[row["variant"]] = f"{why}, so {fix}"
    return reasons


def summary_for_report(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as a reader wants it: percentages, intervals in one cell, costs in millions."""
    return pd.DataFrame({
        "variant": summary["variant"],
        "seeds": summary["seeds"],
        "accuracy %": (100 * summary["accuracy_mean"]).round(2),
        "95% CI": [interval_text(lo, hi) for lo, hi in zip(summary["accuracy_ci_low"], summary["accuracy_ci_high"])],
        "std (pts)": (100 * summary["accuracy_std"]).round(2),
        "macro F1 %": (100 * summary["f1_mean"]).round(2),
        "trained far enough": ["yes" if c else "no" for c in summary["converged"]],
        "twice the epochs (pts)": summary["budget_lift_pts"].round(2),
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
                       settings: dict[str, float], trained: set[str]) -> pd.DataFrame:
    """The paired accuracy difference of each pair over its common seeds, with its 95% interval
    (cnnstudy.stats.paired_difference) and what that interval shows against the margin (the
    decision table's reading). Pairs with a model not trained far enough (not in ``trained``)
    show their interval and read "not judged"; pairs with a variant this run does not train have
    no row. The claims read their own intervals from the same terms, at their family's level
    (cnnstudy.claims)."""
    alpha, delta = settings["alpha"], settings["relevant_difference"]
    rows = []
    for variant, reference in pairs:
        seeds = sorted({s for v, s in correct if v == variant} & {s for v, s in correct if v == reference})
        if not seeds:  # a variant this run does not train: its claims read "not run"
            continue
        result = stats.paired_difference(np.stack([correct[(variant, s)] for s in seeds]),
                                         np.stack([correct[(reference, s)] for s in seeds]), 1 - alpha)
        judged = variant in trained and reference in trained
        rows.append({
            "variant": variant, "reference": reference, "seeds": result["seeds"], "test_digits": result["digits"],
            "difference_pts": 100 * result["difference"],
            "ci_low_pts": 100 * result["ci_low"], "ci_high_pts": 100 * result["ci_high"],
            "delta_pts": 100 * delta,
            "p": stats.p_value(result["difference"], result["seed_term"], result["digit_term"], result["seeds"],
                               result["digits"]),
            "b_reference_only": result["b"], "c_variant_only": result["c"],
            "shows": (stats.reading(result["ci_low"], result["ci_high"], delta) if judged
                      else "not judged (a model not trained far enough)"),
            "difference": result["difference"], "seed_term": result["seed_term"], "digit_term": result["digit_term"],
        })
    return pd.DataFrame(rows)


def by_run(runs: list[list[Any]], values: list[Any]) -> dict[Key, Any]:
    """Pair each run [variant, seed], as the rule lists them, with its value (a file, a table)."""
    if len(runs) != len(values):
        raise ValueError(f"{len(runs)} runs but {len(values)} files")
    return {(str(variant), int(seed)): value for (variant, seed), value in zip(runs, values)}


def correct_by_run(predictions: dict[Key, pd.DataFrame]) -> dict[Key, np.ndarray]:
    """Per-digit correctness of every run (its predictions.csv, cnnstudy.readers.read_predictions)."""
    return {key: (frame["label"] == frame["predicted"]).to_numpy() for key, frame in predictions.items()}
