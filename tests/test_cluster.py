"""A real cluster-style run: Snakemake's cluster-generic executor plugin with a local submit
script, each job its own submitted process; the results must equal the local run's."""

import sys

import pandas as pd
import pytest

from conftest import REPO, SMALL_CONFIG, copy_workflow, run_snakemake, write_config

pytestmark = pytest.mark.workflow

TARGETS = ["results/tiny/small/seed0/metrics.json", "results/tiny/small-elastic/seed1/metrics.json"]


def test_cluster_generic_run_equals_the_local_run(study_run, tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, SMALL_CONFIG)
    queue = tmp_path / "queue"
    run_snakemake(
        workdir, "--executor", "cluster-generic", "--jobs", "4", "--group-components", "run=2", "--latency-wait", "10",
        "--seconds-between-status-checks", "1",
        "--cluster-generic-submit-cmd", f"{sys.executable} {REPO / 'tests' / 'cluster' / 'submit.py'}",
        "--cluster-generic-status-cmd", f"{sys.executable} {REPO / 'tests' / 'cluster' / 'status.py'}",
        *TARGETS, env={"CNNSTUDY_TEST_QUEUE": str(queue)},
    )
    exits = sorted(queue.glob("*.exit"))
    # distort, then both runs' trainings and evaluations in one group submission (group "run",
    # 2 components); prepare_data is a local rule (it may download), run on the submitting host
    assert len(exits) == 2 and all(path.read_text().strip() == "0" for path in exits)
    scripts = [path.read_text() for path in queue.glob("*.sh")]
    grouped = [script for script in scripts if "--target-jobs" in script and script.count("train:") == 2]
    assert len(grouped) == 1 and grouped[0].count("evaluate:") == 2, scripts
    submitted = " ".join(scripts)
    assert "distort:" in submitted and "prepare_data" not in submitted
    assert (workdir / "results/tiny/data/train.npz").exists()
    for target in TARGETS:
        # deterministic mode: the metrics file is byte for byte the local run's
        assert (workdir / target).read_bytes() == (study_run / target).read_bytes()
        run = target.rsplit("/", 1)[0]
        pd.testing.assert_frame_equal(pd.read_csv(workdir / run / "predictions.csv"),
                                      pd.read_csv(study_run / run / "predictions.csv"))
        drop = ["seconds"]
        pd.testing.assert_frame_equal(pd.read_csv(workdir / run / "history.csv").drop(columns=drop),
                                      pd.read_csv(study_run / run / "history.csv").drop(columns=drop))


def test_slurm_profile_dry_runs(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, {**SMALL_CONFIG, "training": {**SMALL_CONFIG["training"], "device": "cuda"}})
    result = run_snakemake(workdir, "-n", "--profile", "profiles/slurm")
    assert "rule train:" in result.stdout
    # no placeholder overrides the plugin's own account and partition
    assert "slurm_partition" not in result.stdout and "slurm_account" not in result.stdout
    assert "CHANGE-ME" not in (workdir / "profiles" / "slurm" / "config.yaml").read_text()
    train_block = result.stdout[result.stdout.index("rule train:"):].split("\n\n")[0]
    assert "gpu=1" in train_block and "mem_mb=3000" in train_block
    # 6 runs (training + evaluation each) and 2 budget runs, 8 runs a group: one submission, not 14
    groups = result.stdout.split("Group job run (jobs in lexicogr. order):")[1:]
    assert len(groups) == 1, result.stdout[-3000:]
    assert groups[0].count("rule train:") == 6 and groups[0].count("rule evaluate:") == 6
    assert groups[0].count("rule train_budget:") == 2


def test_slurm_profile_keeps_every_rerun_trigger():
    import yaml

    from conftest import REPO

    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    triggers = profile.get("rerun-triggers", ["mtime", "params", "input", "software-env", "code"])
    assert {"mtime", "params", "input", "software-env", "code"} <= set(triggers)


def test_default_profile_is_picked_up(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    write_config(workdir, SMALL_CONFIG)
    result = run_snakemake(workdir, "-n", "--cores", "2", "results/audit/alexnet/totals.json")
    assert "profiles/default" in result.stdout + result.stderr
