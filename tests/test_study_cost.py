"""benchmarks/study_cost.py: the throughput it projects a study from."""

import importlib.util
from pathlib import Path

import torch

ROOT = Path(__file__).parents[1]


def load_study_cost():
    spec = importlib.util.spec_from_file_location("study_cost", ROOT / "benchmarks" / "study_cost.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_throughput_leaves_out_what_a_fit_costs_once(monkeypatch):
    """A GPU's per-fit set-up (moving the net, the optimizer, validation) outweighs a few steps:
    the rate must be the per-image one, whatever that set-up and making the inputs cost. A clock of
    the test's own."""
    study_cost = load_study_cost()
    clock = {"now": 0.0}
    set_up, per_image = 0.5, 1e-4  # seconds: a fit's fixed cost and its cost per training image

    fitted = []  # training images of each fit

    def fake_fit(model, images, labels, *rest, **options):
        fitted.append(len(images))
        clock["now"] += set_up + per_image * len(images)

    def fake_seconds(work, device=None):
        start = clock["now"]
        work()
        return clock["now"] - start

    def slow_randint(*args, **options):  # making the synthetic digits costs time too, and is not training
        digits = real_randint(*args, **options)
        clock["now"] += 1e-5 * len(digits)
        return digits

    real_randint = torch.randint
    monkeypatch.setattr(study_cost, "seconds", fake_seconds)
    monkeypatch.setattr(torch, "randint", slow_randint)
    spec = {"family": "ciresan", "conv_depth": 3, "fc_depth": 1}
    rate = study_cost.throughput(spec, 16, torch.device("cpu"), "fp32", min_seconds=1.0, train=fake_fit)
    assert abs(rate - 1 / per_image) < 1e-6 * rate
    assert fitted[:2] == [16, 16]  # a warm-up fit and the timed one-batch fit
    assert per_image * (fitted[-1] - 16) >= 1.0 > per_image * (fitted[-2] - 16)  # added work: a second, just


def test_both_kinds_reruns_itself_as_an_avx2_laptop_in_fp32(monkeypatch, capsys):
    """The ISA is fixed when torch loads, so the laptop kind is a second process with the
    emulation's environment and fp32; on a CPU that is AVX2 only, the first estimate is already it."""
    study_cost = load_study_cost()
    calls = []
    monkeypatch.setattr(study_cost.subprocess, "run", lambda args, env, check: calls.append((args, env)))
    monkeypatch.setattr(study_cost.torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    study_cost.estimate_avx2(["--configfile", "config/laptop-study.yaml", "--both-kinds"])
    (args, env), = calls
    assert args[-4:] == ["--configfile", "config/laptop-study.yaml", "--precision", "fp32"]
    assert env["ONEDNN_MAX_CPU_ISA"] == "AVX2" and env["ATEN_CPU_CAPABILITY"] == "avx2"
    monkeypatch.setattr(study_cost.torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    study_cost.estimate_avx2(["--both-kinds"])
    assert len(calls) == 1 and "AVX2 only" in capsys.readouterr().out


def test_claims_are_planned_cheapest_first_with_shared_variants_counted_once():
    study_cost = load_study_cost()
    config = {"claims": {
        "big": {"label": "1", "tests": [{"variant": "a", "reference": "b", "expect": "better"}]},
        "cheap": {"label": "5", "tests": [{"variant": "c", "reference": "b", "expect": "better"}]},
        "cost": {"label": "Q1", "tests": [{"variant": "a", "reference": "c", "measure": "macs", "expect": "better"}]},
        "context": {"label": "x", "tests": [{"variant": "d", "reference": "c", "expect": "better", "role": "context"}]},
    }}
    rows = [{"variant": v, "seeds": 2, "job_s": s, "budget_s": 0.0, "share": 1} for v, s in
            (("a", 300.0), ("b", 60.0), ("c", 30.0), ("d", 999.0))]
    plan = study_cost.claims_by_cost(config, rows, parallel=2, minutes=2)
    assert [need["claim"] for need in plan] == ["cost", "context", "cheap", "big"]
    assert plan[0]["variants"] == [] and plan[0]["fits"]  # a cost claim trains nothing
    cheap, big = plan[2], plan[3]
    assert cheap["variants"] == ["b", "c"] and cheap["wall_s"] == (120 + 60) / 2 and cheap["fits"]
    assert big["own_s"] == 600 + 120 and big["wall_s"] == (600 + 120 + 60) / 2 and not big["fits"]  # b once


def test_the_gpu_study_plans_from_the_recorded_gpu_rates():
    import os
    import subprocess
    import sys

    result = subprocess.run(["bash", "benchmarks/gpu_study.sh", "--plan-only", "--minutes", "7"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHON=sys.executable))
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "config/full.yaml on NVIDIA H200 bf16" in out and "60 trainings" in out
    assert "Q1, cost" in out and "fits  (no training: audits only)" in out
    # at the one-job rates, the first claim that trains (Q1's accuracy: 7 runs) alone takes over 7 minutes
    assert "\nvariants: \n" in out and "no claim that needs training fits in 7 minutes" in out


def test_a_real_net_is_timed_through_the_training_loop(tmp_path):
    """The timing path itself, on a small net of an overlay: gpu_check's test replays recorded rates."""
    import os
    import re
    import subprocess
    import sys

    overlay = tmp_path / "small.yaml"
    overlay.write_text("run: {variants: [small], seeds: [0, 1]}\n"
                       "variants:\n  small: {model: {family: ciresan, conv_depth: 3, fc_depth: 1}}\n")
    result = subprocess.run([sys.executable, "benchmarks/study_cost.py", "--configfile", str(overlay),
                             "--seconds", "0.2", "--precision", "fp32"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-2000:]
    row = re.search(r"^small\s+1\s+fp32\s+(\d+)\s+10\s+1,600\s+2\s+(\d+)", result.stdout, re.MULTILINE)
    assert row, result.stdout
    rate, job_s = int(row.group(1)), int(row.group(2))
    training = 10 * 1600 / rate  # one seed's job: 10 epochs of 1,600 digits, plus validation and evaluation
    # a forward pass is a third of a step: 400 watched digits an epoch, the 10,000 test digits (and 300 more)
    passes = (10 * 400 + 10_000 + 300) / 3 / rate
    assert training + passes <= job_s <= training + passes + 10  # + two jobs' start-up, rounding
    assert "2 trainings" in result.stdout and "estimated wall time" in result.stdout


def test_a_variant_it_cannot_build_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    overlay = tmp_path / "bad.yaml"
    overlay.write_text("run: {variants: [shallow]}\nvariants:\n  shallow: {model: {family: ciresan, conv_depth: 1}}\n")
    result = subprocess.run([sys.executable, "benchmarks/study_cost.py", "--configfile", str(overlay)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["study_cost: variants.shallow.model.conv_depth: must be >= 3, got 1"]
