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
