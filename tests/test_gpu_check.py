"""benchmarks/gpu_check.sh, its CPU-possible parts: the same steps with --device cpu."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_idx_folder

pytestmark = pytest.mark.workflow
ROOT = Path(__file__).parents[1]


def test_gpu_check_runs_its_steps_on_the_cpu(tmp_path):
    data = write_idx_folder(tmp_path / "idx", train=60, test=20)
    result = subprocess.run(
        ["bash", "benchmarks/gpu_check.sh", "--device", "cpu", "--source", "idx", "--data", str(data),
         "--train-images", "40", "--jobs-per-gpu", "2",
         "--rates", "benchmarks/rates/h200-bf16.csv"],  # timing the full study's 13 nets on a CPU: minutes
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env=dict(os.environ, PYTHON=sys.executable, MPLBACKEND="Agg"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "== 1. the CUDA tests" in out and "skipped" in out  # no GPU here: the CUDA tests skip, not fail
    for variant in ("ciresan-4conv", "residual"):
        assert f"  {variant} " in out and "after 1 epoch(s) on 40 digits  (cpu," in out
    assert re.search(r"  2 jobs sharing the device: \d+\.\d\dx the training rate of one job alone", out)
    assert "residual-nopool1" in out and "estimated wall time" in out and "NVIDIA H200" in out
    assert "== gpu_check done in" in out
