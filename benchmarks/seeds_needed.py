"""How many seeds does the full study need so that each claim's comparison can be decided?

From calibration runs on the real test split (predictions.csv of the workflow): how often one run
of each compared variant disagree on a test digit (``between``), how often two runs of the same
variant do (``within``, from two seeds of one variant) and how far their accuracies move
(``run_variance``). For each deciding test of the config's claims it assumes the true
difference is the gap the original report found (where it reports both variants; else 0 for
"not better"/"not worse"/"equivalent" and twice delta for "better"/"worse") and prints the fewest
seeds whose interval decides the expectation either way at the configured delta
(cnnstudy.stats.seeds_to_decide), at the level the claim reads its intervals (1 - alpha / k for
its k interval tests, cnnstudy.claims.family_size).
Pairs without calibration runs borrow the largest measured ``between``. Usage:
  python benchmarks/seeds_needed.py --runs results/mnist [--configfile config/full.yaml]
      [--same ciresan-4conv]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from cnnstudy import stats
from cnnstudy.claims import family_size
from cnnstudy.config import load_config
from cnnstudy.readers import read_table
from cnnstudy.study import correct_by_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, help="results/<dataset> of the calibration runs")
    parser.add_argument("--configfile", default="config/full.yaml")
    parser.add_argument("--same", default="ciresan-4conv", help="the variant with two calibration seeds")
    args = parser.parse_args()
    config = load_config(Path(__file__).resolve().parents[1], args.configfile)
    delta, alpha = config["stats"]["relevant_difference"], config["stats"]["alpha"]
    files = {(variant, seed): Path(args.runs) / variant / f"seed{seed}" / "predictions.csv"
             for variant in config["variants"] for seed in (0, 1)}
    predictions = correct_by_run({key: read_table(path, ('label', 'predicted')) for key, path in files.items()
                                  if path.exists()})
    runs = {variant: correct for (variant, seed), correct in predictions.items() if seed == 0 and variant in config["variants"]}
    twin = predictions[(args.same, 1)]
    digits = len(twin)
    within = float(np.mean(runs[args.same] != twin))
    run_variance = max((runs[args.same].mean() - twin.mean()) ** 2 / 2, within / (2 * digits))
    measured = {(a, b): float(np.mean(runs[a] != runs[b])) for a in runs for b in runs if a < b}
    largest = max(measured.values()) if measured else within
    print(f"{digits:,} test digits; within ({args.same}, seeds 0 and 1): {100 * within:.2f}% of digits, "
          f"accuracies {100 * runs[args.same].mean():.2f}% and {100 * twin.mean():.2f}%; delta {100 * delta:.2f} pts; "
          f"each claim's tests at alpha {alpha} / k")
    print(f"{'test':48s} {'expect':>10s} {'gap pts':>8s} {'between':>9s} {'seeds':>6s}")
    reported = {name: v.get("reported_accuracy") for name, v in config["variants"].items()}
    needed = []
    for claim in config["claims"].values():
        level = stats.family_level(alpha, family_size(claim))
        for test in claim["tests"]:
            if test.get("role", "decides") != "decides" or test.get("measure", "accuracy") != "accuracy":
                continue
            variant, reference, expect = test["variant"], test["reference"], test["expect"]
            if reported[variant] is not None and reported[reference] is not None:
                gap, source = reported[variant] - reported[reference], "original"
            else:
                gap, source = (2 * delta if expect == "better" else -2 * delta if expect == "worse" else 0.0), "assumed"
            key = tuple(sorted((variant, reference)))
            between = measured.get(key, largest)
            seeds = stats.seeds_to_decide(expect, gap, delta, digits, between, within, run_variance, level)
            needed.append(seeds)
            print(f"{variant + ' vs ' + reference:48s} {expect:>10s} {100 * gap:+7.2f}{'' if source == 'original' else '*'} "
                  f"{100 * between:8.2f}%{'' if key in measured else '*'} "
                  f"{'never' if math.isinf(seeds) else int(seeds):>6}")
    practical = [s for s in needed if not math.isinf(s)]
    print(f"* assumed. Seeds that decide every decidable test: {max(practical) if practical else 'none'}; "
          f"{sum(math.isinf(s) for s in needed)} test(s) cannot be decided by seeds alone on {digits:,} test digits.")


if __name__ == "__main__":
    main()
