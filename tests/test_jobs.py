"""Failures a job can meet end as one line ``cnnstudy: <path>: <what>`` and leave no output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudy.datasets import save_split
from cnnstudy.errors import ConfigError
from cnnstudy.files import first_read_only_folder, write_json, write_text
from cnnstudy.runtime import pick_device
from conftest import REPO, without_root_override


def run_job(tmp_path: Path, body: str, preexec=None, env: dict[str, str] | None = None,
            code: str | None = None) -> subprocess.CompletedProcess:
    """Run ``body`` inside ``with job(...) as log:`` in a fresh interpreter."""
    script = tmp_path / "job.py"
    script.write_text(f"from cnnstudy.jobs import job\n\nwith job('job.log', {code!r}) as log:\n"
                      + textwrap.indent(textwrap.dedent(body), "    "))
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          preexec_fn=preexec, env=dict(os.environ, **(env or {})),
                          timeout=300)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    return lines[0]


def test_a_missing_file_is_one_line_naming_it(tmp_path):
    result = run_job(tmp_path, "from cnnstudy.datasets import load_split\nload_split('results/test.npz')\n")
    assert one_line(result) == "cnnstudy: results/test.npz: no such file or directory"
    assert "error: results/test.npz: no such file or directory" in (tmp_path / "job.log").read_text()


def test_an_unreadable_input_is_one_line_naming_it(tmp_path):
    save_split(tmp_path / "train.npz", np.zeros((2, 28, 28), np.uint8), np.zeros(2, np.uint8), {})
    (tmp_path / "train.npz").chmod(0)
    result = run_job(tmp_path, "from cnnstudy.datasets import load_split\nload_split('train.npz')\n",
                     preexec=without_root_override)
    assert one_line(result) == "cnnstudy: train.npz: permission denied"


def test_a_full_disk_while_saving_a_checkpoint_is_one_line_and_leaves_nothing(tmp_path):
    """The file-size limit plays a full disk: writes past 64 KiB fail as a full disk's do."""
    body = """
    import resource, signal
    from torch import nn
    from cnnstudy.checkpoint import save_checkpoint
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))
    save_checkpoint('run/model.pt', nn.Linear(1000, 100), {'variant': 'x'})
    """
    result = run_job(tmp_path, body)
    assert one_line(result) == "cnnstudy: run/model.pt: file too large"
    assert list((tmp_path / "run").iterdir()) == []  # no model.pt, no temporary file


def test_a_read_only_resume_folder_stops_before_the_first_epoch(tmp_path):
    for name, count in (("train", 40), ("validation", 20)):
        save_split(tmp_path / f"{name}.npz", np.random.default_rng(0).integers(0, 256, (count, 28, 28), np.uint8),
                   (np.arange(count) % 10).astype(np.uint8), {})
    (tmp_path / "resume").mkdir()
    (tmp_path / "resume").chmod(0o555)
    body = f"""
    from pathlib import Path
    from cnnstudy.config import training_defaults
    from cnnstudy.trainjob import run_training_job
    training = {{**training_defaults({str(REPO)!r}), 'epochs': 1, 'batch_size': 20, 'device': 'cpu',
                'precision': 'fp32'}}
    run_training_job(run={{'dataset': 'tiny', 'variant': 'small', 'seed': 0}},
                     spec={{'family': 'ciresan', 'conv_depth': 4}}, training=training,
                     train_file=Path('train.npz'), validation_file=Path('validation.npz'), distorted_file=None,
                     checkpoint_file=Path('run/model.pt'), history_file=Path('run/history.csv'),
                     resume_file=Path('resume/seed0.pt'), code='code', log=log)
    """
    result = run_job(tmp_path, body, preexec=without_root_override)
    assert one_line(result) == "cnnstudy: resume: permission denied (the job writes here)"
    log = (tmp_path / "job.log").read_text()
    assert "training {" not in log and "epoch 1/" not in log  # nothing trained before the check


def test_a_gpu_job_without_a_gpu_is_one_line(tmp_path):
    result = run_job(tmp_path, "pass\n", env={"CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 0  # a job that asks for no GPU does not care
    script = (tmp_path / "job.py").read_text().replace("job('job.log', None)", "job('job.log', None, gpu=True)")
    (tmp_path / "job.py").write_text(script)
    result = subprocess.run([sys.executable, "job.py"], cwd=tmp_path, capture_output=True, text=True,
                            env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    assert one_line(result).startswith("cnnstudy: training.device: a GPU job started (--resources gpu=N), but no GPU is visible")


def test_a_job_refuses_a_library_other_than_the_workflows(tmp_path):
    """params.code is hashed from the workflow's src/; the job hashes what it imports."""
    from cnnstudy.codehash import PACKAGE_DIR, code_hash

    run_job(tmp_path, "log('ran')\n")
    planned = code_hash(tmp_path / "job.py")
    result = run_job(tmp_path, "log('ran')\n", code=planned)
    assert result.returncode == 0, result.stderr
    assert "ran" in (tmp_path / "job.log").read_text()
    result = run_job(tmp_path, "log('ran')\n", code="0123456789ab")  # src/ edited, the environment's copy not
    assert one_line(result) == (
        f"cnnstudy: this Python imports the cnnstudy library from {PACKAGE_DIR}, whose code behind job.py differs "
        "from the workflow's src/: install the workflow's own in this environment (pip install -e <workflow folder>; with "
        "--sdm conda, delete the env under .snakemake/conda to rebuild it)")
    assert "ran" not in (tmp_path / "job.log").read_text()


def test_cuda_requested_without_a_gpu_names_the_key(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match=r"^training.device: 'cuda' requested, but torch sees no CUDA GPU"):
        pick_device("cuda")
    assert pick_device("auto").type == "cpu"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_honour_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == mode


def test_metrics_are_strict_json(tmp_path):
    from cnnstudy.errors import DataError

    with pytest.raises(DataError, match=r"metrics.json: not written: per_class.3.f1 = nan is not a finite number"):
        write_json(tmp_path / "metrics.json", {"accuracy": 0.5, "per_class": [{}, {}, {}, {"f1": float("nan")}]})
    assert not (tmp_path / "metrics.json").exists()


def test_a_read_only_folder_of_the_run_is_found(tmp_path):
    (tmp_path / "results" / "tiny" / "small").mkdir(parents=True)
    assert first_read_only_folder([tmp_path / "results"]) is None
    (tmp_path / "results" / "tiny" / "small").chmod(0o555)
    script = ("import sys; from pathlib import Path; from cnnstudy.files import first_read_only_folder; "
              "print(first_read_only_folder([Path(sys.argv[1])]))")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "results")], capture_output=True,
                            text=True, check=True, preexec_fn=without_root_override)
    assert result.stdout.strip() == str(tmp_path / "results" / "tiny" / "small")
