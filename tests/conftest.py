"""Shared fixtures: synthetic idx folders and a helper that runs Snakemake in a temp folder."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from cnnstudy.errors import DataError
from cnnstudy.idx import IDX_DTYPES, parse_idx, read_bytes

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ["Snakefile", "rules", "scripts", "report", "envs", "config", "src", "profiles"]


def pytest_configure(config: pytest.Config) -> None:
    """One intra-op thread per pytest-xdist worker: the workers already fill the cores, and a
    second thread each oversubscribes them; OpenMP's barriers then stall a small net's step
    10-80x (a CI run timed a separable 3-conv net's step at 120 ms a digit, 2 ms alone)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)


def read_idx(path: Path) -> np.ndarray:
    """Read one idx file (gzip or raw) into a native-endian numpy array."""
    return parse_idx(read_bytes(path), str(path))


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """Write an array as idx: the test fixtures' MNIST-format files."""
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    array = np.asarray(array)
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise DataError(f"{path}: dtype {array.dtype} has no idx type code")
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(IDX_DTYPES[code]).tobytes()
    Path(path).write_bytes(gzip.compress(data, mtime=0) if compress else data)


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random 28x28 uint8 'digits' with balanced labels 0-9."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    return images, labels


def write_idx_folder(folder: Path, train: int = 60, test: int = 20, compress: bool = True) -> Path:
    """The four MNIST-named idx files of a small synthetic dataset."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, count, seed in (("train", train, 1), ("t10k", test, 2)):
        images, labels = synthetic_digits(count, seed)
        suffix = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress=compress)
    return folder


@pytest.fixture
def idx_folder(tmp_path: Path) -> Path:
    return write_idx_folder(tmp_path / "idx")


def without_root_override() -> None:
    """preexec_fn: the child honours file permissions even when the tests run as root (it loses
    the capabilities to override them; a non-root user honours them anyway)."""
    import ctypes

    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "cannot drop root's permission override")


def conv2_layouts(model) -> list[bool]:
    """Filled on every forward pass: whether conv2's output was channels_last (48+ channels on
    14x14, where the two layouts differ; the nets' 1x1 and 1-channel weights look alike in both)."""
    layouts: list[bool] = []
    model.convs[1].register_forward_hook(lambda module, inputs, output: layouts.append(
        output.is_contiguous(memory_format=torch.channels_last) and not output.is_contiguous()))
    return layouts


# the terms of the fp32 default's question 1 accuracy (6 seeds, 1,000 test digits, separable minus
# plain): more seeds alone or more test digits alone cannot decide it, both together can
AT_THE_MARGIN = {"difference": -0.0082, "seeds": 6, "digits": 1_000, "seed_term": 2.69e-6, "digit_term": 3.10e-6}


def train_settings(**overrides):
    """TrainSettings with the schema's defaults under ``overrides``, as a workflow run gets them."""
    from cnnstudy.config import training_defaults
    from cnnstudy.train import TrainSettings

    return TrainSettings.from_config({**training_defaults(REPO), **overrides})


def snakemake_command() -> list[str]:
    """Snakemake of the interpreter running the tests."""
    return [sys.executable, "-m", "snakemake"]


def copy_workflow(target: Path) -> Path:
    """A fresh copy of the workflow (no results) to run in isolation."""
    target.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy2(source, target / part)
    return target


def run_snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 900,
                  env: dict[str, str] | None = None, unprivileged: bool = False) -> subprocess.CompletedProcess:
    environment = dict(os.environ, MPLBACKEND="Agg", **(env or {}))
    result = subprocess.run(
        snakemake_command() + list(args), cwd=workdir, capture_output=True, text=True,
        timeout=timeout, env=environment, preexec_fn=without_root_override if unprivileged else None,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


# The tiny offline config of .test/ (the workflow catalog's convention), also the study run's.
SMALL_CONFIG = yaml.safe_load((REPO / ".test" / "config" / "config.yaml").read_text())


def rule_blocks(text: str):
    """The text of each rule of a .smk file, dedented (a rule inside an ``if`` is indented):
    from its ``rule``/``use rule`` line to the next line indented no deeper."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        head = re.match(r"( *)(?:use )?rule \w+", line)
        if not head:
            continue
        indent, body = len(head.group(1)), [line]
        for following in lines[index + 1:]:
            if following.strip() and len(following) - len(following.lstrip(" ")) <= indent:
                break
            body.append(following)
        yield textwrap.dedent("".join(body))


def rules_with_scripts(workdir: Path = REPO):
    """(rule name, rule text, script path) of every rule of the workflow that runs a script."""
    found, derived = {}, []
    for smk in sorted((workdir / "rules").glob("*.smk")):
        for block in rule_blocks(smk.read_text()):
            rule, script = re.match(r"rule (\w+):", block), re.search(r'"\.\./(scripts/\w+\.py)"', block)
            if rule and script:
                found[rule.group(1)] = workdir / script.group(1)
                yield rule.group(1), block, found[rule.group(1)]
            use = re.match(r"use rule (\w+) as (\w+) with:", block)
            if use:  # the same script, its own params
                derived.append((use.group(2), block, use.group(1)))
    for rule, block, source in derived:
        yield rule, block, found[source]


def write_config(workdir: Path, config: dict) -> None:
    import yaml

    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture(scope="session")
def study_run(tmp_path_factory) -> Path:
    """The whole DAG on a small capped config, then the report: shared by the workflow tests,
    and made once for all pytest-xdist workers (the first to ask makes it, the others wait)."""
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common folder
    workdir = shared / "study"
    with FileLock(str(shared / "study.lock")):
        if not (workdir / "report.html").exists():
            shutil.rmtree(workdir, ignore_errors=True)  # a run cut short by an earlier failure
            copy_workflow(workdir)
            write_config(workdir, SMALL_CONFIG)
            run_snakemake(workdir, "--cores", "2")
            run_snakemake(workdir, "--report", "report.html")
    return workdir


@pytest.fixture
def rerun_copy(study_run, tmp_path):
    """The finished run, copied so that edits do not disturb the other tests."""
    target = tmp_path / "copy"
    shutil.copytree(study_run, target, symlinks=True)
    return target
