"""Per-rule time and memory of a finished run, read from Snakemake's benchmark files.

Every job that trains, evaluates, audits, sweeps or prepares data writes a `benchmark:` file
(`results/.../*_benchmark.tsv`, `logs/.../*_benchmark.tsv`): wall seconds, peak resident memory
(max_rss, MB) and CPU seconds. This prints them per rule, with the `mem_mb` and `runtime` a
cluster profile could declare for the same config on the same kind of machine (peak memory
x 1.5, longest job x 2, rounded up). Run it in the workflow folder after `snakemake`.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import pandas as pd

RULE_OF_FILE = re.compile(r"(?:^|_)(train|evaluate|prepare_data|separable_sweep|speed_audit)_benchmark\.tsv$")


def rule_of(path: Path) -> str:
    """The rule a benchmark file belongs to, from the names the rules give them."""
    match = RULE_OF_FILE.search(path.name)
    if match:
        return "train_budget" if path.parent.name == "budget" else match.group(1)
    if path.name.startswith("distort_"):
        return "distort"
    return "audit_model"  # logs/audit/<model>_benchmark.tsv


def table(root: Path) -> pd.DataFrame:
    rows = []
    for path in sorted([*root.glob("results/**/*_benchmark.tsv"), *root.glob("logs/**/*_benchmark.tsv")]):
        frame = pd.read_csv(path, sep="\t")
        rows.append({"rule": rule_of(path), "seconds": float(frame["s"].max()), "max_rss_mb": float(frame["max_rss"].max()),
                     "cpu_seconds": float(frame["cpu_time"].max())})
    if not rows:
        raise SystemExit(f"{root}: no *_benchmark.tsv under results/ or logs/: run the workflow first")
    runs = pd.DataFrame(rows)
    summary = runs.groupby("rule").agg(jobs=("seconds", "size"), median_s=("seconds", "median"),
                                       max_s=("seconds", "max"), max_rss_mb=("max_rss_mb", "max"))
    summary["suggested_mem_mb"] = [100 * math.ceil(1.5 * rss / 100) for rss in summary["max_rss_mb"]]
    summary["suggested_runtime_min"] = [max(1, math.ceil(2 * s / 60)) for s in summary["max_s"]]
    return summary.sort_values("max_s", ascending=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".", help="the workflow folder of a finished run")
    print(table(Path(parser.parse_args().root)).round(1).to_string())


if __name__ == "__main__":
    main()
