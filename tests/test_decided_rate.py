"""benchmarks/decided_rate.py: how often k seeds decide a claim, read from runs' predictions."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
DIGITS = 1000  # a test split carved from the 5,000 (the overlay below)
CARVED = "datasets:\n  mnist5k: {source: mnist5k, test_split: carved, test_size: 1000}\n"


def load_decided_rate():
    spec = importlib.util.spec_from_file_location("decided_rate", ROOT / "benchmarks" / "decided_rate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_runs(runs: Path, variant: str, accuracy: float, seeds: int, rng: np.random.Generator) -> None:
    labels = np.arange(DIGITS) % 10
    for seed in range(seeds):
        wrong = rng.random(DIGITS) > accuracy
        folder = runs / variant / f"seed{seed}"
        folder.mkdir(parents=True)
        pd.DataFrame({"index": np.arange(DIGITS), "label": labels, "predicted": np.where(wrong, (labels + 1) % 10, labels),
                      "confidence": 0.9}).to_csv(folder / "predictions.csv", index=False)


@pytest.mark.parametrize("gap, expected", [
    (0.08, "supported"),  # 8 pts better: every subset from 3 seeds decides, and for the claim
    (0.0, "inconclusive"),  # no gain, 1,000 digits, nets at 90%: no subset shows a gain of the margin or rules it out
])
def test_the_rate_of_decided_subsets_follows_the_gap(tmp_path, monkeypatch, capsys, gap, expected):
    runs = tmp_path / "mnist5k"
    rng = np.random.default_rng(0)
    write_runs(runs, "ciresan-4conv", 0.90, 5, rng)
    write_runs(runs, "ciresan-4conv-elastic", 0.90 + gap, 5, rng)
    overlay = tmp_path / "carved.yaml"
    overlay.write_text(CARVED)
    monkeypatch.setattr(sys, "argv", ["decided_rate.py", "--runs", str(runs), "--claim", "elastic",
                                      "--configfile", str(overlay)])
    load_decided_rate().main()
    out = capsys.readouterr().out
    assert "5 seeds, 1,000 test digits" in out
    lines = {int(m.group(1)): m.group(0) for m in re.finditer(r"^\s+(\d+)\s+\d+\s+\d+%.*$", out, re.M)}
    assert sorted(lines) == [2, 3, 4, 5], out
    for k in (3, 4, 5):  # every subset of k seeds reads the expected verdict
        assert re.search(rf"\s{100 if expected == 'supported' else 0}%  {expected} \d+;", lines[k]), out
