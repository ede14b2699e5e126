"""Plan a study before running it: measured training throughput of every variant on this
machine, and what the whole run costs at that rate.

Trains each distinct net of the config for a few steps with the project's loop
(cnnstudy.train.fit, the batch size and threads a training job gets) and multiplies out what the
config asks of the variants it trains (``run.variants``):
per variant its epochs and training digits, per epoch a pass over the watched validation digits,
the test-split evaluation, for every seed, and for a variant whose accuracy decides a claim its
budget check (one more run with twice the epochs, and every run scored on the whole validation
split); then the wall time on this machine's cores (or GPUs). Usage:
  python benchmarks/study_cost.py                                # the default run (config/config.yaml)
  python benchmarks/study_cost.py --configfile config/full.yaml  # the full study
  python benchmarks/study_cost.py --configfile config/laptop-study.yaml --both-kinds
  [--cores 2] [--gpus 1] [--seconds 1] [--device auto] [--precision fp32]
``--both-kinds`` estimates the run on this CPU as it is and again as a laptop without AVX-512
(``ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2``, fp32), in a second process: the ISA is
fixed when torch loads.
A minute or two on a 2-core CPU for the default config (docs/performance.md, "Estimates"): nets that differ
only in their FC layers share one measurement.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import yaml

from cnnstudy.config import (
    budget_variants,
    check_config,
    load_config,
    trained_variants,
    training_defaults,
    variant_seeds,
    variant_training,
)
from cnnstudy.datasets import split_sizes
from cnnstudy.errors import CnnstudyError
from cnnstudy.models import build_model
from cnnstudy.runtime import keep_freed_memory, pick_device, pick_precision
from cnnstudy.timing import seconds
from cnnstudy.train import TrainSettings, fit

ROOT = Path(__file__).resolve().parents[1]
FORWARD_SHARE = 1 / 3  # a forward pass is about a third of a training step (forward + two backward)
JOB_OVERHEAD_S = 4.0  # Python, torch and Snakemake start-up of one job
MAX_STEPS = 4096  # of the timed fits: enough for a small net on a fast GPU to fill a second


def cost_key(spec: dict) -> str:
    """Nets with the same conv stack cost the same to within a few percent: measure one."""
    return yaml.safe_dump({k: v for k, v in spec.items() if k not in ("fc_depth", "fc_width")}, sort_keys=True)


def throughput(spec: dict, batch_size: int, device: torch.device, precision: str, min_seconds: float = 1.0,
               train: Callable[..., object] | None = None) -> float:
    """Training images per second of the project's loop, from the time that more batches add to a
    one-batch fit: what a fit costs once (the net to the device, the optimizer, a validation
    pass) cancels out; on a GPU it outweighs a few steps' work many times over. The added
    batches double until they take ``min_seconds``: a CPU's first steps of a new net run slower,
    and the difference of two short timings is mostly noise. The synthetic digits are made
    outside the timing: their cost grows with the batches too."""
    train = train or fit
    settings = TrainSettings.from_config({**training_defaults(ROOT), "epochs": 1, "batch_size": batch_size,
                                         "deterministic": False})

    def timed_fit(batches: int) -> float:
        count = batches * batch_size
        images = torch.randint(0, 256, (count, 28, 28), dtype=torch.uint8)  # made outside the timing
        labels = (torch.arange(count) % 10).to(torch.uint8)
        return seconds(lambda: train(build_model(spec), images, labels, images[:8], labels[:8], settings, 0, device,
                                     precision, log=lambda m: None), device)

    timed_fit(1)  # first-call costs: kernel selection, autotuning, allocator growth
    one = timed_fit(1)
    steps = 2
    while (added := timed_fit(1 + steps) - one) < min_seconds and steps < MAX_STEPS:
        steps *= 2
    if added <= 0:
        raise SystemExit(f"study_cost: {steps} more step(s) took no measurable time; raise --seconds")
    return steps * batch_size / added


def plan_rows(config: dict, rate_of: Callable[[str], tuple[float, int, str]], cores: int, on_gpu: bool) -> list[dict]:
    """What each trained variant costs: per seed a training and an evaluation job (``job_s``),
    its seeds (``variants.<name>.seeds``, else ``run.seeds``), and for a variant whose accuracy
    decides a claim its budget check (``budget_s``: one run with twice the epochs, then every run
    scored on the whole validation split). ``rate_of(name)``: training images/s, threads, precision."""
    rows = []
    for dataset in config["run"]["datasets"]:
        train, validation, test = split_sizes(config["datasets"][dataset])
        checked = budget_variants(config)
        for name in trained_variants(config):
            training = variant_training(config, name)
            rate, threads, precision = rate_of(name)
            threads = min(threads, cores)
            seeds = len(variant_seeds(config, name))
            digits = train if training["train_images"] is None else min(train, training["train_images"])
            epochs = training["epochs"]
            watched = validation if training["epoch_validation_images"] is None else min(
                validation, training["epoch_validation_images"])
            job = (epochs * (digits + FORWARD_SHARE * watched) + FORWARD_SHARE * (test + 300)) / rate
            job += 2 * JOB_OVERHEAD_S  # a training and an evaluation job
            long = score = 0.0
            if name in checked:
                long = 2 * epochs * (digits + FORWARD_SHARE * watched) / rate + JOB_OVERHEAD_S
                score = (seeds + 1) * FORWARD_SHARE * validation / rate + JOB_OVERHEAD_S
            rows.append({"variant": name, "threads": threads, "precision": precision, "rate": rate, "epochs": epochs,
                         "digits": digits, "seeds": seeds, "job_s": job, "budget_s": long + score, "long_s": long,
                         "share": 1 if on_gpu else threads})
    return rows


def busy_seconds(rows: list[dict]) -> float:
    """Core- (or GPU-) seconds of every training, evaluation and budget check of the plan."""
    return sum((row["seeds"] * row["job_s"] + row["budget_s"]) * row["share"] for row in rows)


def claims_by_cost(config: dict, rows: list[dict], parallel: int, minutes: float) -> list[dict]:
    """The config's claims, cheapest first, each with the variants its deciding accuracy tests
    train (cost tests train nothing), its own cost, the wall time of it and every cheaper claim
    together (a variant shared by two claims counted once) and whether that fits ``minutes``."""
    cost = {row["variant"]: busy_seconds([row]) for row in rows}
    needs = []
    for name, claim in config["claims"].items():
        variants = sorted({v for test in claim["tests"] if test.get("role", "decides") == "decides"
                           and test.get("measure", "accuracy") in ("accuracy", "gap")
                           for v in (test["variant"], test["reference"])} & set(cost))
        needs.append({"claim": name, "label": claim.get("label", name), "variants": variants,
                      "own_s": sum(cost[v] for v in variants)})
    chosen: set[str] = set()
    for need in sorted(needs, key=lambda n: n["own_s"]):
        chosen |= set(need["variants"])
        need["wall_s"] = sum(cost[v] for v in chosen) / parallel
        need["fits"] = need["wall_s"] <= 60 * minutes
    return sorted(needs, key=lambda n: n["wall_s"])


def recorded_rates(path: Path) -> dict[str, tuple[float, str]]:
    """Training images/s measured elsewhere (e.g. on a GPU): variant -> (rate, where measured)."""
    import csv

    with open(path, newline="") as stream:
        return {row["variant"]: (float(row["images_per_s"]), row["measured_on"]) for row in csv.DictReader(stream)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", help="an overlay on config/config.yaml, e.g. config/full.yaml")
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="cores the run gets (default: all)")
    parser.add_argument("--gpus", type=int, default=1, help="GPUs the run gets, with a GPU device (default: 1)")
    parser.add_argument("--jobs-per-gpu", type=int, default=1,
                        help="jobs sharing one GPU (training.jobs_per_gpu); the gain is bounded, not measured")
    parser.add_argument("--shared-gain", type=float, default=1.0,
                        help="with --jobs-per-gpu: the training rate of N jobs together over one alone, as "
                             "benchmarks/gpu_check.sh measured it (default 1: no gain assumed)")
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="training time to measure per net, beyond a one-step fit (default: 1)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", help="override training.precision (e.g. fp32)")
    parser.add_argument("--rates", type=Path,
                        help="CSV of recorded training rates (variant, images_per_s, measured_on) in place of "
                             "timing here, e.g. benchmarks/rates/h200-bf16.csv: a GPU projection without one")
    parser.add_argument("--seeds", type=int,
                        help="give every variant this many seeds (ignore variants.<name>.seeds): the plan before "
                             "per-variant seeds, to compare")
    parser.add_argument("--fit", type=float, metavar="MINUTES",
                        help="list the claims cheapest first and which fit in this many minutes of training; the "
                             "last line names the variants of those that fit (benchmarks/gpu_study.sh reads it)")
    parser.add_argument("--both-kinds", action="store_true",
                        help="also estimate the run as a laptop without AVX-512 (AVX2 emulation, fp32)")
    args = parser.parse_args()
    if args.both_kinds:
        estimate_avx2(sys.argv[1:])
    keep_freed_memory()  # as a workflow job does (cnnstudy.jobs.job)
    config = load_config(ROOT, *filter(None, [args.configfile]))
    check_config(config)  # the workflow's own check: a bad variant is named before any timing
    if args.seeds is not None:
        config["run"]["seeds"] = list(range(args.seeds))
        for variant in config["variants"].values():
            variant.pop("seeds", None)
    if args.rates is not None:
        recorded = recorded_rates(args.rates)
        machine, on_gpu = "; ".join(sorted({where for _, where in recorded.values()})), True

        def rate_of(name: str) -> tuple[float, int, str]:
            if name not in recorded:
                raise SystemExit(f"study_cost: {args.rates} has no rate for variant {name!r}")
            return recorded[name][0], 1, "as recorded"
    else:
        device = pick_device(args.device)
        on_gpu = device.type == "cuda"
        machine = torch.cuda.get_device_name(device) if on_gpu else \
            f"CPU {torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} cores"
        rates: dict[str, float] = {}

        def rate_of(name: str) -> tuple[float, int, str]:
            variant, training = config["variants"][name], variant_training(config, name)
            threads = min(training["threads"], args.cores)  # a job gets no more
            torch.set_num_threads(threads)
            precision = pick_precision(args.precision or training["precision"], device)
            key = cost_key(variant["model"]) + precision + str(threads)
            if key not in rates:
                rates[key] = throughput(variant["model"], training["batch_size"], device, precision, args.seconds)
            return rates[key], threads, precision

    rows = plan_rows(config, rate_of, args.cores, on_gpu)
    print(f"{args.configfile or 'config/config.yaml'} on {machine}; "
          f"{sum(row['seeds'] for row in rows)} trainings (seeds per variant below)")
    print(f"{'variant':24s} {'threads':>7s} {'precision':>11s} {'img/s':>7s} {'epochs':>6s} {'digits':>7s} "
          f"{'seeds':>5s} {'job s':>7s}")
    for row in rows:
        print(f"{row['variant']:24s} {row['threads']:7d} {row['precision']:>11s} {row['rate']:7.0f} {row['epochs']:6d} "
              f"{row['digits']:7,d} {row['seeds']:5d} {row['job_s']:7.0f}" + (" (+ budget check)" if row["budget_s"] else ""))
    busy = busy_seconds(rows)
    longest = max([row["job_s"] for row in rows] + [row["long_s"] for row in rows])
    parallel, unit = (args.gpus, "GPU") if on_gpu else (min(args.cores, os.cpu_count() or 1), "core")
    fixed = 60.0  # data, audits, the separable sweep, the comparison and its figures
    wall = max(busy / parallel, longest) + fixed
    print(f"training and evaluation: {busy / 60:.1f} {unit}-minutes; "
          f"estimated wall time with {parallel} {unit}(s): {wall / 60:.1f} minutes")
    if args.fit is not None:
        gain = args.shared_gain if on_gpu and args.jobs_per_gpu > 1 else 1.0
        print(f"claims cheapest first, training on {parallel} {unit}(s)"
              f"{f' at {gain:g}x with {args.jobs_per_gpu} jobs each' if gain != 1 else ''}, {args.fit:g} minutes:")
        fitting: list[str] = []
        for need in claims_by_cost(config, rows, parallel * gain, args.fit):
            print(f"  {need['label']:16s} {need['own_s'] / 60:7.1f} {unit}-min alone, {need['wall_s'] / 60:7.1f} min "
                  f"with the cheaper ones  {'fits' if need['fits'] else 'does not fit'}  "
                  f"({', '.join(need['variants']) or 'no training: audits only'})")
            if need["fits"]:
                fitting += [v for v in need["variants"] if v not in fitting]
        print(f"variants: {','.join(fitting)}")
    if on_gpu and args.jobs_per_gpu > 1:
        shared = max(busy / (parallel * args.jobs_per_gpu), longest) + fixed
        print(f"with {args.jobs_per_gpu} jobs per GPU: between {shared / 60:.1f} minutes ({args.jobs_per_gpu} jobs "
              f"each as fast as one alone) and {wall / 60:.1f} (no gain); the shared rate is not measured yet: "
              "benchmarks/gpu_check.sh on the GPU measures it")


def estimate_avx2(arguments: list[str]) -> None:
    """This estimate again, as a CPU without AVX-512 would run it (the other kind of laptop)."""
    if torch.backends.cpu.get_cpu_capability() == "AVX2":
        print("this CPU is itself AVX2 only: the estimate below is the laptop kind without AVX-512; a CPU with "
              "native bf16 (AVX512-BF16 or AMX) has to run this script for its own")
        return
    rest = [a for a in arguments if a != "--both-kinds"]
    environment = {**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"}
    print("as a laptop without AVX-512 (ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2, fp32):", flush=True)
    subprocess.run([sys.executable, __file__, *rest, "--precision", "fp32"], env=environment, check=True)
    print("on this CPU as it is:", flush=True)


if __name__ == "__main__":
    try:
        main()
    except CnnstudyError as error:  # a config it cannot plan: one line, as the workflow says it
        raise SystemExit(f"study_cost: {error}") from None
