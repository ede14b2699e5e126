"""How often does a claim's accuracy test reach a verdict with k seeds? Measured on real runs.

Train one pair with many seeds (e.g. `run.seeds: [0, ..., 7]`), then for every k from 2 up this
reads the claim's interval (cnnstudy.stats.paired_difference at the claim's level, 1 - alpha / k
tests) and its verdict (cnnstudy.stats.verdict) on every k-subset of the seeds, and prints how
often each verdict came out. The subsets share seeds, so the rates are those of one set of runs
(the spread of a rate over other sets of runs is wider than the count of subsets suggests); the
test digits are the config's split throughout. Usage:
  python benchmarks/decided_rate.py --runs results/mnist5k [--claim elastic] [--configfile overlay.yaml]
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections import Counter
from pathlib import Path

import numpy as np

from cnnstudy import stats
from cnnstudy.claims import family_size
from cnnstudy.config import load_config
from cnnstudy.datasets import split_sizes
from cnnstudy.readers import read_predictions
from cnnstudy.study import correct_by_run

MOST_SUBSETS = 500


def seeds_of(runs: Path, variant: str) -> list[int]:
    """The seeds of ``variant`` whose predictions are in ``runs``."""
    return sorted(int(path.parent.name.removeprefix("seed")) for path in (runs / variant).glob("seed*/predictions.csv"))


def subset_verdicts(variant: np.ndarray, reference: np.ndarray, expect: str, delta: float, level: float,
                    k: int, rng: random.Random) -> list[tuple[str, float, float]]:
    """(verdict, low, high) of the interval on each k-subset of the seeds (rows), at most
    MOST_SUBSETS of them drawn at random where there are more."""
    subsets = list(itertools.combinations(range(len(variant)), k))
    if len(subsets) > MOST_SUBSETS:
        subsets = rng.sample(subsets, MOST_SUBSETS)
    found = []
    for rows in subsets:
        result = stats.paired_difference(variant[list(rows)], reference[list(rows)], level)
        found.append((stats.verdict(expect, result["ci_low"], result["ci_high"], delta),
                      result["ci_low"], result["ci_high"]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="results/<dataset> holding the pair's seeds")
    parser.add_argument("--configfile", nargs="*", default=[], help="overlays on config/config.yaml, as the runs had")
    parser.add_argument("--claim", default="elastic", help="a claim of the config with one accuracy test")
    args = parser.parse_args()
    config = load_config(Path(__file__).resolve().parents[1], *args.configfile)
    claim = config["claims"][args.claim]
    tests = [t for t in claim["tests"] if t.get("role", "decides") == "decides" and t.get("measure", "accuracy") == "accuracy"]
    if len(tests) != 1:
        raise SystemExit(f"decided_rate: claim {args.claim} has {len(tests)} accuracy tests; it reads claims with one")
    test = tests[0]
    delta, level = config["stats"]["relevant_difference"], stats.family_level(config["stats"]["alpha"], family_size(claim))
    seeds = sorted(set(seeds_of(args.runs, test["variant"])) & set(seeds_of(args.runs, test["reference"])))
    if len(seeds) < 2:
        raise SystemExit(f"decided_rate: {args.runs}: fewer than 2 seeds of {test['variant']} and {test['reference']}")
    digits = split_sizes(config["datasets"][args.runs.name])[2]
    correct = correct_by_run({(v, s): read_predictions(args.runs / v / f"seed{s}" / "predictions.csv", digits)
                              for v in (test["variant"], test["reference"]) for s in seeds})
    variant = np.stack([correct[(test["variant"], s)] for s in seeds]).astype(float)
    reference = np.stack([correct[(test["reference"], s)] for s in seeds]).astype(float)
    per_seed = 100 * (variant.mean(axis=1) - reference.mean(axis=1))
    print(f"claim {claim['label']} ({test['variant']} vs {test['reference']}, expect {test['expect']}, margin "
          f"{100 * delta:.2f} pts, level {level:.3f}); {len(seeds)} seeds, {variant.shape[1]:,} test digits")
    print("per-seed differences (pts): " + ", ".join(f"{d:+.2f}" for d in per_seed)
          + f"; mean {per_seed.mean():+.2f}, sd {per_seed.std(ddof=1):.2f}")
    rng = random.Random(0)
    print(f"{'seeds':>5s} {'subsets':>7s} {'decided':>8s}  verdicts; median interval (pts)")
    for k in range(2, len(seeds) + 1):
        found = subset_verdicts(variant, reference, test["expect"], delta, level, k, rng)
        counts = Counter(v for v, _, _ in found)
        decided = sum(n for v, n in counts.items() if v != stats.INCONCLUSIVE) / len(found)
        lows, highs = np.median([lo for _, lo, _ in found]), np.median([hi for _, _, hi in found])
        words = ", ".join(f"{v} {n}" for v, n in counts.most_common())
        print(f"{k:5d} {len(found):7d} {100 * decided:7.0f}%  {words}; {100 * lows:+.2f} to {100 * highs:+.2f}")


if __name__ == "__main__":
    main()
