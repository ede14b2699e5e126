"""The workflow end to end on a small capped config, its reruns, and its refusals."""

import copy
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.image import imread

from cnnstudy.claims import decided_sentence
from cnnstudy.codehash import INFRASTRUCTURE, imported_modules, module_file
from conftest import SMALL_CONFIG, copy_workflow, rules_with_scripts, run_snakemake, write_config, write_idx_folder

pytestmark = pytest.mark.workflow


def test_prepared_data(study_run):
    data = study_run / "results" / "tiny" / "data"
    with np.load(data / "train.npz") as train:
        assert train["images"].shape == (200, 28, 28) and train["images"].dtype == np.uint8
        assert np.bincount(train["labels"]).tolist() == [20] * 10
        provenance = json.loads(str(train["provenance"]))
    assert provenance["source"] == "mnist5k" and provenance["cap"] == 200
    assert provenance["files"]["mnist_5k.csv.gz"]
    with np.load(data / "test.npz") as test, np.load(data / "validation.npz") as validation:
        assert len(test["labels"]) == 100 and len(validation["labels"]) == 100
        assert json.loads(str(validation["provenance"]))["validation_fraction"] == 0.1
    summary = pd.read_csv(data / "summary.csv")
    assert summary["count"].tolist() == [200, 100, 100]


def test_distorted_copies_and_preview(study_run):
    data = study_run / "results" / "tiny" / "data"
    with np.load(data / "distorted" / "elastic.npz") as copies, np.load(data / "train.npz") as train:
        assert copies["images"].shape == (2, 200, 28, 28) and copies["images"].dtype == np.uint8
        np.testing.assert_array_equal(copies["labels"], train["labels"])
        assert not np.array_equal(copies["images"][0], train["images"])
        assert not np.array_equal(copies["images"][0], copies["images"][1])
        # a warp moves ink, it does not invent or erase much of it
        ratio = copies["images"][0].astype(float).sum() / train["images"].astype(float).sum()
        assert 0.8 < ratio < 1.2
    preview = imread(data / "distorted" / "elastic_preview.png")
    assert preview.shape[0] > 200 and preview.shape[1] > 300


def test_audits(study_run):
    audit = study_run / "results" / "audit"
    totals = json.loads((audit / "alexnet" / "totals.json").read_text())
    assert totals["params"] == 45_463_084 and totals["thop_macs"] == 705_535_424
    summary = pd.read_csv(audit / "summary.csv")
    assert set(summary["model"]) == {"alexnet", "small", "small-elastic", "separable"}
    assert "conv1" in (audit / "alexnet" / "layers.html").read_text()
    sweep = pd.read_csv(audit / "separable" / "sweep.csv")
    assert (sweep["counted_ratio"] - sweep["analytic_ratio"]).abs().max() < 1e-12


def test_trained_and_evaluated(study_run):
    run = study_run / "results" / "tiny" / "small-elastic" / "seed1"
    checkpoint = torch.load(run / "model.pt", weights_only=True)
    assert checkpoint["meta"]["variant"] == "small-elastic" and checkpoint["meta"]["seed"] == 1
    assert checkpoint["meta"]["device"] == "cpu" and checkpoint["meta"]["torch"] == torch.__version__
    history = pd.read_csv(run / "history.csv")
    assert history["epoch"].tolist() == [1, 2]
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"} <= set(history)
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.1 < metrics["accuracy"] <= 1 and len(metrics["confusion_matrix"]) == 10
    speed = json.loads((run / "speed.json").read_text())
    assert speed["latency_ms"] > 0 and speed["throughput_images_per_s"] > 0 and speed["training_wall_seconds"] > 0
    predictions = pd.read_csv(run / "predictions.csv")
    assert len(predictions) == 100
    assert (predictions["label"] == predictions["predicted"]).mean() == pytest.approx(metrics["accuracy"])
    assert not (study_run / "resume" / "tiny" / "small-elastic" / "seed1.pt").exists()
    assert metrics["threads"] == 1 and metrics["training"]["threads"] == 1 and metrics["cpu_capability"]


def test_every_heavy_job_leaves_a_benchmark_file(study_run):
    import subprocess
    import sys

    from conftest import REPO

    runs = [study_run / "results" / "tiny" / variant / f"seed{seed}" for variant in SMALL_CONFIG["variants"]
            for seed in SMALL_CONFIG["run"]["seeds"]]
    for run in runs + [study_run / "results" / "tiny" / v / "budget" for v in ("small", "small-elastic")]:
        for name in ("train_benchmark.tsv", "evaluate_benchmark.tsv")[: 1 if run.name == "budget" else 2]:
            frame = pd.read_csv(run / name, sep="\t")
            assert frame["s"].iloc[0] > 0 and frame["max_rss"].iloc[0] > 50, run / name  # a torch job: > 50 MB
    for name in ["tiny/prepare_data", "tiny/distort_elastic", "audit/small", "audit/alexnet", "audit/separable_sweep"]:
        assert (study_run / "logs" / f"{name}_benchmark.tsv").exists(), name
    report = subprocess.run([sys.executable, str(REPO / "benchmarks" / "resources.py"), str(study_run)],
                            capture_output=True, text=True, check=True).stdout
    rows = {line.split()[0]: line.split() for line in report.splitlines()[2:]}
    assert rows["train"][1] == "6" and rows["evaluate"][1] == "6" and rows["audit_model"][1] == "4"
    assert rows["train_budget"][1] == "2"  # the budget checks of small and small-elastic
    assert rows["speed_audit"][1] == "1"


def test_comparison_outputs(study_run):
    compare = study_run / "results" / "tiny" / "compare"
    summary = pd.read_csv(compare / "summary.csv")
    assert set(summary["variant"]) == {"small", "small-elastic", "separable"}
    assert (summary["seeds"] == 2).all()
    significance = pd.read_csv(compare / "significance.csv")
    assert {(r.variant, r.reference) for r in significance.itertuples()} == {
        ("separable", "small"), ("small-elastic", "small")}
    assert (significance["ci_low_pts"] <= significance["difference_pts"]).all()
    assert (significance["delta_pts"] == 0.5).all()
    # 2 epochs on 200 digits train nothing far enough, and 100 validation digits cannot tell: the accuracy
    # claim is not tested, whatever its interval says; the cost claim needs no training and is decided
    runs = pd.read_csv(compare / "runs.csv")
    assert not runs["fits"].any() and runs["fit"].str.startswith("training accuracy").all()
    for variant in ("small", "small-elastic"):
        check = json.loads((study_run / f"results/tiny/{variant}/budget/check.json").read_text())
        assert check["verdict"] == "cannot tell" and check["long_epochs"] == 4 and check["base_seeds"] == 2
    claims = pd.read_csv(compare / "claims.csv").set_index("claim")
    assert claims.loc["elastic", "verdict"] == "not tested" and claims.loc["separable-cost", "verdict"] == "supported"
    assert "train small, small-elastic far enough" in claims.loc["elastic", "to settle"]
    evidence = pd.read_csv(compare / "evidence.csv")
    macs = {v: json.loads((study_run / f"results/audit/{v}/totals.json").read_text())["macs"] for v in ("small", "separable")}
    assert evidence.set_index("measure").loc["macs", "difference"] == f"x{macs['small'] / macs['separable']:.2f}"
    # the speed claim reads the speed audit (random weights: no training), one ratio per round
    speed = evidence.set_index("measure").loc["train_ms"]
    timings = pd.read_csv(study_run / "results" / "audit" / "speed" / "timings.csv")
    assert set(timings["variant"]) == {"small", "small-elastic", "separable"} and speed["seeds"] == 3
    assert speed["difference"].startswith("x") and speed["verdict"] in ("supported", "below the margin", "refuted",
                                                                         "inconclusive")
    headline = (compare / "headline.html").read_text()
    assert decided_sentence(claims.reset_index()) in headline and "of 3" in decided_sentence(claims.reset_index())
    assert "None of the 3 variants trained far enough to judge its accuracy." in headline
    assert "The decision table" in headline
    for name in ["accuracy.png", "accuracy_vs_cost.png", "learning_curves.png", "confusion_best.png",
                 "misclassified.png"]:
        assert imread(compare / name).shape[0] > 100, name


REPORT_ITEMS = [
    "summary.html", "runs.html", "significance.html", "claims.html", "headline.html", "accuracy.png",
    "accuracy_vs_cost.png", "learning_curves.png", "confusion_best.png", "misclassified.png", "layers.html",
    "sweep.html", "sweep.png", "elastic_preview.png", "timings.html",
]


def test_report_holds_every_figure_and_table(study_run):
    report = (study_run / "report.html").read_text()
    for name in REPORT_ITEMS:
        assert name in report, name
    for category in ["Data", "Audit", "Training", "Evaluation", "Comparison"]:
        assert f'"{category}"' in report, category


def dry_run_jobs(workdir, *args):
    """(rule, variant-or-None) of every job a dry run would execute."""
    result = run_snakemake(workdir, "-n", *args)
    jobs = []
    # a job's block ends at the next job or timestamp line; jobs of a group (rules train and
    # evaluate share group "run") are listed indented under "Group job run"
    for block in re.split(r"\n(?=[ \t]*(?:local)?rule \w+:|\[)", result.stdout):
        match = re.match(r"(?:local)?rule (\w+):", block.strip())
        if match:
            variant = re.search(r"variant=([\w.-]+)", block)
            model = re.search(r"model=([\w.-]+)", block)
            jobs.append((match.group(1), (variant or model).group(1) if (variant or model) else None))
    return jobs


def test_nothing_to_do_after_a_run(rerun_copy):
    assert dry_run_jobs(rerun_copy) == []


def test_editing_one_variant_reruns_only_that_variant(rerun_copy):
    config = copy.deepcopy(SMALL_CONFIG)
    config["variants"]["separable"]["model"]["fc_depth"] = 2
    write_config(rerun_copy, config)
    jobs = dry_run_jobs(rerun_copy)
    per_variant = {job for job in jobs if job[1] is not None}
    assert per_variant == {("train", "separable"), ("evaluate", "separable"), ("audit_model", "separable")}
    assert sum(1 for job in jobs if job[0] == "train") == 2  # both seeds
    shared = {rule for rule, variant in jobs if variant is None}
    assert {"summarise_runs", "judge_claims", "audit_summary", "figure_accuracy"} <= shared
    assert "prepare_data" not in shared and "distort" not in shared


def test_editing_training_settings_does_not_reaudit(rerun_copy):
    config = copy.deepcopy(SMALL_CONFIG)
    config["variants"]["small"]["training"] = {"lr": 0.003}
    write_config(rerun_copy, config)
    per_variant = {job for job in dry_run_jobs(rerun_copy) if job[1] is not None}
    assert per_variant == {("train", "small"), ("evaluate", "small"), ("train_budget", "small"),
                           ("budget_check", "small")}


def test_editing_resources_reruns_nothing(rerun_copy):
    config = copy.deepcopy(SMALL_CONFIG)
    config["training"].update(mem_mb=5000, runtime=90, jobs_per_gpu=4)
    write_config(rerun_copy, config)
    assert dry_run_jobs(rerun_copy) == []


def test_a_changed_thread_count_reruns_training_and_evaluation(rerun_copy):
    """Threads change the bytes (oneDNN splits reductions by thread count), so they are a
    declared input: a results tree never mixes thread counts."""
    config = copy.deepcopy(SMALL_CONFIG)
    config["training"]["threads"] = 2
    write_config(rerun_copy, config)
    assert rules_with_changed_params(rerun_copy) == {"train", "train_budget"}
    assert sum(1 for rule, _ in dry_run_jobs(rerun_copy) if rule == "train") == 6  # 3 variants x 2 seeds
    config["training"]["threads"], config["evaluation"]["threads"] = 1, 2
    write_config(rerun_copy, config)
    assert rules_with_changed_params(rerun_copy) == {"evaluate", "budget_check"}


def library_modules_run_by(script, library):
    """The library files that decide a script's output, found by the standard library's
    modulefinder (which follows function-local imports too), the infrastructure modules
    excluded: an account independent of cnnstudy.codehash's import walk."""
    import modulefinder

    from cnnstudy.codehash import INFRASTRUCTURE

    finder = modulefinder.ModuleFinder(path=[str(library)], excludes=sorted(INFRASTRUCTURE - {"cnnstudy"}))
    finder.run_script(str(script))
    return {Path(module.__file__).name for name, module in finder.modules.items()
            if name.startswith("cnnstudy.") and module.__file__}


def modules_that_tell_rules_apart(runs: dict[str, set[str]], modules: list[str]) -> list[str]:
    """A few modules whose edits, one at a time, give each rule the rerun pattern that only its
    own import set gives, every rule that imports any reached at least once: enough to catch a
    rule that hashes no script, or another rule's."""
    chosen: list[str] = []

    def patterns(selected):
        return {tuple(name in files for name in selected) for files in runs.values()}

    def uncovered(selected):
        return sum(1 for files in runs.values() if files and not files & set(selected))

    while len(patterns(chosen)) < len({frozenset(files) for files in runs.values()}) or uncovered(chosen):
        chosen.append(max((name for name in modules if name not in chosen),
                          key=lambda name: (len(patterns(chosen + [name])), -uncovered(chosen + [name]))))
    return chosen


def rules_with_changed_params(workdir):
    """Rules with an output whose params changed since it was made (Snakemake's summary; a dry
    run would show downstream jobs as rerun for their updated inputs instead)."""
    result = run_snakemake(workdir, "--summary")
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:] if line.count("\t") >= 5]
    return {row[2] for row in rows if row[4] == "params changed"}


def test_editing_a_library_module_reruns_exactly_the_steps_whose_code_imports_it(rerun_copy):
    library = rerun_copy / "src"
    made = {row.split("\t")[2] for row in run_snakemake(rerun_copy, "--summary").stdout.splitlines()[1:]
            if row.count("\t") >= 5}  # the rules with outputs in this run (not bundle, unbundle)
    scripts = {rule: script for rule, _, script in rules_with_scripts(rerun_copy) if rule in made}
    runs = {rule: library_modules_run_by(script, library) for rule, script in scripts.items()}
    assert {"train", "evaluate", "prepare_data", "summarise_runs"} <= set(runs)
    assert "checkpoint.py" in runs["train"] and "models.py" in runs["train"]  # the drift of the hand-kept lists
    assert "files.py" not in runs["train"] and "runtime.py" not in runs["figure_accuracy"]  # infrastructure
    modules = sorted((library / "cnnstudy").glob("*.py"))
    for rule, script in scripts.items():  # the hash's import walk against modulefinder's, every module
        walked = {module_file(name, library / "cnnstudy").name
                  for name in imported_modules(script, library / "cnnstudy") - INFRASTRUCTURE}
        assert walked == runs[rule], f"{rule}: the hash follows {sorted(walked ^ runs[rule])} unlike modulefinder"
    # Snakemake's own account, for the few edits that give every rule its own rerun pattern
    edited = modules_that_tell_rules_apart(runs, [module.name for module in modules]) + ["files.py", "__init__.py"]
    for module in (library / "cnnstudy" / name for name in edited):
        original = module.read_text()
        module.write_text(original + "\n_EDITED = 1\n")
        try:
            rerun = rules_with_changed_params(rerun_copy)
        finally:
            module.write_text(original)
        expected = {rule for rule, files in runs.items() if module.name in files}
        assert rerun == expected, f"editing {module.name}: reran {sorted(rerun)}, expected {sorted(expected)}"
    for module in modules:  # a comment or a docstring edit anywhere reruns nothing
        module.write_text(module.read_text().replace('"""', '"""Reworded. ', 1) + "\n# c\n")
    assert dry_run_jobs(rerun_copy) == []


def test_epoch_snapshots_and_tensorboard_curves_rerun_nothing_and_read_back(rerun_copy):
    import subprocess
    import sys

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from conftest import REPO as ROOT

    config = copy.deepcopy(SMALL_CONFIG)
    config["training"].update(snapshots=True, tensorboard=True)
    write_config(rerun_copy, config)
    assert dry_run_jobs(rerun_copy) == []  # keeping snapshots or curves changes no result
    run = rerun_copy / "results/tiny/small/seed0"
    run_snakemake(rerun_copy, "--cores", "1", "results/tiny/small/seed0/model.pt", "--forcerun", "train")
    assert sorted(path.name for path in (run / "epochs").iterdir()) == ["epoch1.pt", "epoch2.pt"]
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    history = pd.read_csv(run / "history.csv")
    for column, tag in {"train_loss": "loss/train", "val_accuracy": "accuracy/validation", "lr": "learning_rate"}.items():
        scalars = events.Scalars(tag)
        assert [event.step for event in scalars] == list(history["epoch"])
        assert [event.value for event in scalars] == pytest.approx(list(history[column]), rel=1e-6)
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "calibration.py"), str(run), "--threads", "1"],
                            capture_output=True, text=True, check=True)
    rows = [line.split() for line in result.stdout.splitlines() if re.match(r"\s+\d+\s+0\.", line)]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(0 <= float(row[2]) <= 1 for row in rows)  # test accuracy of each epoch's weights
    last = torch.load(run / "epochs" / "epoch2.pt", weights_only=True)["state_dict"]
    trained = torch.load(run / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(last[key], trained[key]) for key in trained)  # the last snapshot is the trained model


def test_calibration_epoch_is_where_validation_stops_rising():
    import importlib.util

    from conftest import REPO as ROOT

    spec = importlib.util.spec_from_file_location("calibration", ROOT / "benchmarks" / "calibration.py")
    calibration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibration)
    noisy_then_annealed = [0.981, 0.983, 0.978, 0.983, 0.987, 0.986, 0.9912, 0.9903, 0.9920, 0.9930, 0.9932, 0.9932]
    assert calibration.plateau_epoch(noisy_then_annealed, 0.0005) == 10  # not the early flat stretch
    assert calibration.plateau_epoch([0.95, 0.97, 0.98, 0.99], 0.0005) is None  # still rising at the end


@pytest.mark.parametrize("target, expected", [
    (["results/tiny/compare/accuracy.png", "--forcerun", "figure_accuracy"], [("figure_accuracy", None)]),
    (["results/audit/separable/totals.json", "--forcerun", "audit_model"], [("audit_model", "separable")]),
    (["--forcerun", "results/tiny/small/seed1/model.pt", "--until", "evaluate"],
     [("train", "small"), ("evaluate", "small")]),
])
def test_partial_reruns(rerun_copy, target, expected):
    assert sorted(dry_run_jobs(rerun_copy, *target)) == sorted(expected)


def test_each_variant_trains_its_own_seeds_and_its_budget_run_takes_its_first(tmp_path):
    """variants.<name>.seeds (the power plan's) beside run.seeds: the DAG trains exactly those."""
    workdir = copy_workflow(tmp_path / "wf")
    config = copy.deepcopy(SMALL_CONFIG)
    config["variants"]["small-elastic"]["seeds"] = [1, 2, 3, 4]
    write_config(workdir, config)
    dry = run_snakemake(workdir, "-n").stdout
    trained = {(m.group(1), int(m.group(2))) for m in re.finditer(r"results/tiny/([\w-]+)/seed(\d+)/model\.pt", dry)}
    assert trained == {("small", 0), ("small", 1), ("separable", 0), ("separable", 1),
                       *(("small-elastic", s) for s in (1, 2, 3, 4))}
    check = next(b for b in re.split(r"\n(?=[ \t]*(?:local)?rule \w+:|\[)", dry)
                 if b.startswith("rule budget_check:") and "variant=small-elastic" in b)
    assert re.findall(r"small-elastic/seed(\d+)/model.pt", check.split("output:")[0]) == ["1", "2", "3", "4"]
    budget = "results/tiny/small-elastic/budget/model.pt"
    run_snakemake(workdir, "--cores", "1", budget)
    assert torch.load(workdir / budget, weights_only=True)["meta"]["seed"] == 1  # the variant's first


LANDING = "results/report/workflow.rst"
BUNDLE_MADE_RULES = {"prepare_data", "distort", "train", "train_budget", "evaluate", "budget_check", "speed_audit"}


@pytest.fixture
def bundle_of_the_run(rerun_copy):
    """The finished run's bundle (`snakemake results/bundle.tar.gz`), made in a copy."""
    run_snakemake(rerun_copy, "--cores", "1", "results/bundle.tar.gz")
    return rerun_copy, rerun_copy / "results" / "bundle.tar.gz"


def elsewhere_with(bundle, folder, **run):
    """A fresh copy of the workflow (no results, no data) whose config reads ``bundle``."""
    import shutil

    workdir = copy_workflow(folder)
    shutil.copy(bundle, workdir / "runs.tar.gz")
    config = copy.deepcopy(SMALL_CONFIG)
    config["run"].update(bundle="runs.tar.gz", **run)
    write_config(workdir, config)
    return workdir, config


def test_a_report_is_built_elsewhere_from_the_bundle_without_retraining(bundle_of_the_run, tmp_path):
    import tarfile

    made, bundle = bundle_of_the_run
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    assert "results/tiny/small/seed1/predictions.csv" in names and "results/tiny/data/test.npz" in names
    assert not [name for name in names if name.endswith(".pt") or "/resume/" in name]  # no checkpoints
    elsewhere, _ = elsewhere_with(bundle, tmp_path / "elsewhere")
    rules = {rule for rule, _ in dry_run_jobs(elsewhere)}
    assert "unbundle" in rules and "judge_claims" in rules and "landing_page" in rules
    assert not rules & BUNDLE_MADE_RULES
    run_snakemake(elsewhere, "--cores", "2")
    for name in ("claims.csv", "evidence.csv", "significance.csv", "summary.csv", "runs.csv", "untrained.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(elsewhere / "results/tiny/compare" / name),
                                      pd.read_csv(made / "results/tiny/compare" / name), obj=name)
    assert (elsewhere / LANDING).read_text() == (made / LANDING).read_text()
    assert dry_run_jobs(elsewhere) == []
    run_snakemake(elsewhere, "--report", "report.html")
    report = (elsewhere / "report.html").read_text()
    for category in ["Data", "Audit", "Training", "Evaluation", "Comparison"]:
        assert f'"{category}"' in report, category
    assert not (elsewhere / "results/tiny/data/train.npz").exists()


@pytest.mark.parametrize("change, message", [
    (lambda c: c["training"].update(epochs=3),
     r"runs.tar.gz: its runs were made with variants.separable.training.epochs = 2, this config says 3"),
    (lambda c: c["run"].update(seeds=[0, 1, 2]),
     r"runs.tar.gz: lacks results/tiny/small/seed2/metrics.json and \d+ more file\(s\)"),
    (lambda c: c["datasets"]["tiny"].update(split_seed=1),
     r"runs.tar.gz: its runs were made with datasets.tiny.split_seed = 0, this config says 1"),
    ("truncate", r"runs.tar.gz: not a results bundle of this workflow"),
    ("delete", r"runs.tar.gz: no such bundle"),
])
def test_a_bundle_that_does_not_fit_the_config_is_one_line_before_any_job(bundle_of_the_run, tmp_path, change,
                                                                          message):
    _, bundle = bundle_of_the_run
    elsewhere, config = elsewhere_with(bundle, tmp_path / "elsewhere")
    archive = elsewhere / "runs.tar.gz"
    if change == "truncate":
        archive.write_bytes(archive.read_bytes()[:300])
    elif change == "delete":
        archive.unlink()
    else:
        change(config)
        write_config(elsewhere, config)
    result = run_snakemake(elsewhere, "--cores", "1", check=False)
    assert result.returncode != 0
    assert re.search("config key run.bundle: " + message, result.stderr), result.stderr[-1500:]
    assert "Traceback" not in result.stderr and not (elsewhere / "results").exists()


@pytest.mark.parametrize("change, key", [
    (lambda c: c["training"].update(epoch=3), r"config key training: Additional properties are not allowed \('epoch'"),
    (lambda c: c["training"].update(epochs="two"), r"config key training.epochs: 'two' is not of type 'integer'"),
    (lambda c: c["training"].update(precision="fp8"), r"config key training.precision: 'fp8' is not one of"),
    (lambda c: c["variants"]["small"]["model"].update(family="lenet"), r"config key variants.small.model.family"),
    (lambda c: c["variants"]["small"]["model"].update(fc_depth=9), r"config key variants.small.model.fc_depth: must be 1 to 5"),
    (lambda c: c["distortions"]["elastic"].update(sigma=0), r"config key distortions.elastic.sigma"),
    (lambda c: c["training"].update(lr=float("nan")), r"config key training.lr: nan is not a finite number"),
    (lambda c: c["training"].update(epochs=2.0), r"config key training.epochs: 2.0 is not an integer"),
])
def test_bad_config_stops_before_any_job(tmp_path, change, key):
    workdir = copy_workflow(tmp_path / "wf")
    config = copy.deepcopy(SMALL_CONFIG)
    change(config)
    write_config(workdir, config)
    result = run_snakemake(workdir, "--cores", "1", check=False)
    assert result.returncode != 0
    assert re.search(key, result.stderr), result.stderr[-2000:]
    assert not (workdir / "results").exists()


def test_corrupt_data_fails_cleanly(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    folder = write_idx_folder(tmp_path / "bad")
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-8])
    config = copy.deepcopy(SMALL_CONFIG)
    config["run"]["datasets"] = ["bad"]
    config["datasets"]["bad"] = {"source": "idx", "path": str(folder)}
    write_config(workdir, config)
    result = run_snakemake(workdir, "--cores", "1", "results/bad/data/train.npz", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("cnnstudy: ")]
    assert len(errors) == 1 and "t10k-labels-idx1-ubyte.gz: corrupt gzip stream" in errors[0], result.stderr[-3000:]
    data = workdir / "results" / "bad" / "data"
    assert not (data / "train.npz").exists() and not (data / "test.npz").exists()
    leftovers = sorted(data.glob("*")) if data.exists() else []
    assert leftovers == []


def test_a_stale_library_is_one_line_before_any_job_and_every_old_output_stays(tmp_path):
    """The copy's src/ is edited, the environment's library (this repository's) is not: as after
    editing a checkout whose venv holds an installed copy. Refused before Snakemake deletes the
    outputs of the jobs it would rerun."""
    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, SMALL_CONFIG)
    target = workdir / "results" / "tiny" / "data" / "train.npz"
    run_snakemake(workdir, "--cores", "1", "results/tiny/data/train.npz")
    made = {path: path.read_bytes() for path in (workdir / "results").rglob("*") if path.is_file()}
    module = workdir / "src" / "cnnstudy" / "datasets.py"
    module.write_text(module.read_text() + "\n_EDITED_IN_THE_WORKFLOW_NOT_IN_THE_ENVIRONMENT = 1\n")
    assert ("prepare_data", None) in dry_run_jobs(workdir, "results/tiny/data/train.npz")  # params changed
    result = run_snakemake(workdir, "--cores", "1", "results/tiny/data/train.npz", check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("cnnstudy: ")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr[-3000:]
    assert errors[0].startswith("cnnstudy: this Python imports the cnnstudy library from ")
    assert "whose code behind " in errors[0] and "differs from the workflow's src/" in errors[0]
    assert "Traceback" not in result.stderr
    assert target.exists() and {path: path.read_bytes() for path in made} == made  # nothing deleted or changed


def test_a_python_without_the_library_is_one_line_before_any_job(tmp_path):
    """No PYTHONPATH from the workflow: its Python must have the library installed."""
    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, SMALL_CONFIG)
    broken = tmp_path / "shadow" / "cnnstudy"  # an import of cnnstudy that fails, as when it is not installed
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'cnnstudy\'", name="cnnstudy")\n')
    result = run_snakemake(workdir, "--cores", "1", check=False, env={"PYTHONPATH": str(broken.parent)})
    assert result.returncode == 1
    assert re.search(r"the cnnstudy library is not installed in this Python \(.+\): run `pip install -e .+` "
                     r"\(README, Quick start\)", result.stderr), result.stderr[-2000:]
    assert not (workdir / "results").exists()


def test_killed_training_resumes_and_ends_like_an_uninterrupted_run(study_run, tmp_path):
    import os
    import signal
    import subprocess
    import time

    from conftest import snakemake_command

    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, SMALL_CONFIG)
    target = "results/tiny/small/seed0/metrics.json"
    resume = workdir / "resume" / "tiny" / "small" / "seed0.pt"
    process = subprocess.Popen(snakemake_command() + ["--cores", "1", target], cwd=workdir, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not resume.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert resume.exists(), "training never saved a resume state"
    os.killpg(process.pid, signal.SIGKILL)  # the whole job, Snakemake included, mid-training
    process.wait()
    assert not (workdir / "results/tiny/small/seed0/history.csv").exists()
    assert torch.load(resume, weights_only=True)["epoch"] == 1

    run_snakemake(workdir, "--unlock")
    run_snakemake(workdir, "--cores", "1", target)  # the default profile sets --rerun-incomplete
    log = (workdir / "results/tiny/small/seed0/train.log").read_text()
    assert "resuming after epoch 1" in log
    assert not resume.exists()
    run = "results/tiny/small/seed0"
    pd.testing.assert_frame_equal(pd.read_csv(workdir / run / "history.csv").drop(columns="seconds"),
                                  pd.read_csv(study_run / run / "history.csv").drop(columns="seconds"))
    assert (workdir / target).read_bytes() == (study_run / target).read_bytes()
    history = pd.read_csv(workdir / run / "history.csv")
    speed = json.loads((workdir / run / "speed.json").read_text())
    assert speed["training_wall_seconds"] == pytest.approx(history["seconds"].sum())  # the killed part counts
    assert history["seconds"].iloc[0] > 0


def test_a_read_only_run_folder_is_one_line_before_any_job(rerun_copy):
    run = rerun_copy / "results/tiny/small/seed0"
    run.chmod(0o555)
    try:
        result = run_snakemake(rerun_copy, "--cores", "1", "results/tiny/small/seed0/metrics.json",
                               "--forcerun", "train", check=False, unprivileged=True)
    finally:
        run.chmod(0o755)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "cnnstudy" in line or "Error" in line]
    assert errors == ["cnnstudy: results/tiny/small/seed0: permission denied (a read-only folder the run writes to)"]
    assert (run / "model.pt").exists()  # nothing removed
    assert sorted(rule for rule, _ in dry_run_jobs(rerun_copy, "results/tiny/small/seed0/metrics.json")) == []


def test_the_default_config_is_found_beside_the_snakefile_from_any_folder(tmp_path):
    """`snakemake -s <checkout>/Snakefile` run elsewhere: the checkout's config/config.yaml, then
    --configfile over it."""
    import yaml

    workflow = copy_workflow(tmp_path / "checkout")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    snakefile = str(workflow / "Snakefile")
    default = run_snakemake(elsewhere, "-s", snakefile, "-n", "--quiet", "rules")
    shipped = yaml.safe_load((workflow / "config" / "config.yaml").read_text())["run"]
    trainings = len(shipped["variants"]) * len(shipped["seeds"])  # the default's own, not an empty config's
    assert trainings > 1 and re.search(rf"(?m)^train\s+{trainings}$", default.stdout), default.stdout[-2000:]
    (elsewhere / "tiny.yaml").write_text(yaml.safe_dump({"run": {"seeds": [0], "variants": ["ciresan-4conv"]}}))
    overlaid = run_snakemake(elsewhere, "-s", snakefile, "--configfile", "tiny.yaml", "-n", "--quiet", "rules")
    assert re.search(r"(?m)^train\s+1$", overlaid.stdout), overlaid.stdout[-2000:]
    assert not (elsewhere / "results").exists() and not (workflow / "results").exists()


MODULE_TARGETS = ["results/tiny/data/train.npz", "results/audit/alexnet/totals.json"]


def module_user(analysis: Path, snakefile) -> Path:
    """Another project that includes this workflow from ``snakefile`` with `module`, with the tiny config."""
    import yaml

    (analysis / "config").mkdir(parents=True)
    (analysis / "config" / "config.yaml").write_text(yaml.safe_dump(SMALL_CONFIG, sort_keys=False))
    (analysis / "Snakefile").write_text(
        f'configfile: "config/config.yaml"\n\n\nmodule cnnstudy:\n    snakefile:\n        "{snakefile}"\n'
        "    config:\n        config\n\n\nuse rule * from cnnstudy as cnnstudy_*\n"
    )
    return analysis


def test_the_workflow_runs_as_a_snakemake_module(tmp_path):
    """Another project includes this workflow with `module` and runs targets of it."""
    workflow = copy_workflow(tmp_path / "cnnstudy")
    analysis = module_user(tmp_path / "analysis", workflow / "Snakefile")
    run_snakemake(analysis, "--cores", "2", *MODULE_TARGETS)
    assert all((analysis / target).exists() for target in MODULE_TARGETS)
    assert json.loads((analysis / MODULE_TARGETS[1]).read_text())["params"] > 0
    assert dry_run_jobs(analysis, *MODULE_TARGETS) == []


def test_the_workflow_runs_as_a_module_from_a_url(tmp_path):
    """`module cnnstudy: snakefile: "http://.../Snakefile"` (as with github(...)): the schema,
    scripts and report template come through Snakemake's source cache, the library from the
    environment; without the library, one line says so."""
    import functools
    import http.server
    import threading

    served = copy_workflow(tmp_path / "served")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    analysis = module_user(tmp_path / "analysis", f"http://127.0.0.1:{server.server_port}/Snakefile")
    try:
        run_snakemake(analysis, "--cores", "2", *MODULE_TARGETS)
        assert all((analysis / target).exists() for target in MODULE_TARGETS)
        assert dry_run_jobs(analysis, *MODULE_TARGETS) == []
        broken = tmp_path / "shadow" / "cnnstudy"
        broken.mkdir(parents=True)
        (broken / "__init__.py").write_text('raise ModuleNotFoundError("No module named \'cnnstudy\'", name="cnnstudy")\n')
        result = run_snakemake(analysis, "-n", *MODULE_TARGETS, check=False, env={"PYTHONPATH": str(broken.parent)})
    finally:
        server.shutdown()
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cnnstudy: ")]
    assert len(errors) == 1 and "used as a module from http://127.0.0.1:" in errors[0], result.stderr[-2000:]
    assert "needs its library in this Python" in errors[0]
