"""Every file a job reads back, damaged every way we could think of, ends in one line naming it.

The files are real outputs of the tiny study run (conftest.study_run), copied and then emptied,
truncated, replaced by another kind of file, cut short by rows, reshaped or swapped with another
run's. Each is read by the function the consuming job calls; a few go through Snakemake itself,
where the job's stderr and logs must hold one ``cnnstudy:`` line and no traceback.
"""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from cnnstudy.checkpoint import load_checkpoint
from cnnstudy.datasets import load_distorted, load_split
from cnnstudy.errors import CheckpointError, CnnstudyError
from cnnstudy.readers import METRICS_KEYS, read_history, read_json, read_predictions
from cnnstudy.train import RESUME_KEYS, fit, load_resume
from conftest import run_snakemake, train_settings

pytestmark = pytest.mark.workflow

RUN = Path("results/tiny/small/seed0")
OTHER_RUN = Path("results/tiny/separable/seed0")
DATA = Path("results/tiny/data")
TEST_DIGITS = 100  # SMALL_CONFIG's cap


def empty(path: Path) -> None:
    path.write_bytes(b"")


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def text_instead(path: Path) -> None:
    path.write_text("this is not the file you are looking for\n")


def binary_noise(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def damaged_copy(study_run: Path, tmp_path: Path, relative: Path, damage: Callable[[Path], None]) -> Path:
    target = tmp_path / relative.name
    shutil.copy2(study_run / relative, target)
    damage(target)
    return target


def assert_one_line_naming(error: BaseException, path: Path, *words: str) -> None:
    message = str(error)
    assert isinstance(error, CnnstudyError), repr(error)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    assert len(message) > len(f"{path}: ") + 4, message  # a reason, not an empty one
    for word in words:
        assert word in message, message


# -- checkpoints (evaluate, budget_check) ----------------------------------------------------------

def small_spec(study_run: Path) -> dict:
    return torch.load(study_run / RUN / "model.pt", weights_only=True)["meta"]["model"]


def bare_tensor(path: Path) -> None:
    torch.save(torch.zeros(3), path)


def another_variants(study_run: Path) -> Callable[[Path], None]:
    return lambda path: shutil.copy2(study_run / OTHER_RUN / "model.pt", path)


def another_variants_weights(study_run: Path) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        mine = torch.load(path, weights_only=True)
        theirs = torch.load(study_run / OTHER_RUN / "model.pt", weights_only=True)
        torch.save({"state_dict": theirs["state_dict"], "meta": mine["meta"]}, path)
    return damage


@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (truncated, ["not a readable checkpoint"]),
    (text_instead, ["not a readable checkpoint"]),
    (binary_noise, ["not a readable checkpoint"]),
    (bare_tensor, ["holds a Tensor"]),
    ("another variant's", ["checkpoint of variant 'separable', expected 'small'"]),
    ("another variant's weights", ["weights do not fit the model"]),
])
def test_a_damaged_checkpoint_is_one_line(study_run, tmp_path, damage, words):
    damage = {"another variant's": another_variants(study_run),
              "another variant's weights": another_variants_weights(study_run)}.get(damage, damage)
    path = damaged_copy(study_run, tmp_path, RUN / "model.pt", damage)
    with pytest.raises(CnnstudyError) as caught:
        load_checkpoint(path, "small", small_spec(study_run))
    assert_one_line_naming(caught.value, path, *words)


# -- resume states (train) --------------------------------------------------------------------------

@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (truncated, ["not a readable checkpoint"]),
    (text_instead, ["not a readable checkpoint"]),
    (bare_tensor, ["not one this workflow wrote", "Tensor"]),
    ("a model checkpoint", ["not one this workflow wrote"]),
])
def test_a_damaged_resume_state_is_one_logged_line_and_the_run_starts_afresh(study_run, tmp_path, damage, words):
    path = damaged_copy(study_run, tmp_path, RUN / "model.pt", (lambda path: None) if damage == "a model checkpoint"
                        else damage)
    logged = []
    assert load_resume(path, "fingerprint", logged.append) is None
    assert len(logged) == 1 and "\n" not in logged[0] and str(path) in logged[0], logged
    assert logged[0].startswith("ignoring"), logged
    for word in words:
        assert word in logged[0], logged


def test_a_resume_state_whose_weights_do_not_load_is_one_line(study_run, tmp_path):
    """The fingerprint matches (the same settings) but the weights are another net's."""
    from cnnstudy.models import build_model

    theirs = torch.load(study_run / OTHER_RUN / "model.pt", weights_only=True)["state_dict"]
    path = tmp_path / "seed0.pt"
    torch.save({"fingerprint": "same", "epoch": 1, "model": theirs, "optimizer": {}, "scaler": {},
                "history": [{"lr_sum": 0.0}]}, path)
    assert RESUME_KEYS <= torch.load(path, weights_only=True).keys()
    images, labels = torch.zeros(8, 28, 28, dtype=torch.uint8), torch.arange(8) % 10
    with pytest.raises(CheckpointError) as caught:
        fit(build_model(small_spec(study_run)), images, labels, images, labels, train_settings(epochs=2),
            seed=0, device=torch.device("cpu"), precision="fp32", resume_file=path, resume_key="same",
            log=lambda line: None)
    assert_one_line_naming(caught.value, path, "weights do not load", "delete it")


# -- predictions (judge_claims, figure_errors) ------------------------------------------------------

def rows_missing(path: Path) -> None:
    frame = pd.read_csv(path)
    frame.iloc[:-7].to_csv(path, index=False)


def column_missing(path: Path) -> None:
    pd.read_csv(path).drop(columns="predicted").to_csv(path, index=False)


def rows_shuffled(path: Path) -> None:
    pd.read_csv(path).sample(frac=1.0, random_state=0).to_csv(path, index=False)


def not_a_digit(path: Path) -> None:
    frame = pd.read_csv(path)
    frame.loc[3, "predicted"] = 12
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (truncated, ["rows, expected 100"]),
    (rows_missing, ["93 rows, expected 100"]),
    (column_missing, ["no column 'predicted'"]),
    (rows_shuffled, ["'index'"]),
    (not_a_digit, ["'predicted'", "0-9"]),
    (text_instead, ["no column"]),
    (binary_noise, [""]),
])
def test_damaged_predictions_are_one_line(study_run, tmp_path, damage, words):
    path = damaged_copy(study_run, tmp_path, RUN / "predictions.csv", damage)
    with pytest.raises(CnnstudyError) as caught:
        read_predictions(path, TEST_DIGITS)
    assert_one_line_naming(caught.value, path, *words)


# -- histories (summarise_runs) --------------------------------------------------------------------------

def header_only(path: Path) -> None:
    path.write_text(path.read_text().splitlines()[0] + "\n")


def history_column_missing(path: Path) -> None:
    pd.read_csv(path).drop(columns="train_accuracy").to_csv(path, index=False)


def not_a_number(path: Path) -> None:
    frame = pd.read_csv(path).astype({"val_accuracy": object})
    frame.loc[0, "val_accuracy"] = "high"
    frame.to_csv(path, index=False)


def epoch_missing(path: Path) -> None:
    pd.read_csv(path).iloc[1:].to_csv(path, index=False)


@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (header_only, ["0 rows, expected at least 1"]),
    (history_column_missing, ["no column 'train_accuracy'"]),
    (not_a_number, ["not a number"]),
    (epoch_missing, ["epochs [2]"]),
    (text_instead, ["no column"]),
    (binary_noise, [""]),
])
def test_a_damaged_history_is_one_line(study_run, tmp_path, damage, words):
    path = damaged_copy(study_run, tmp_path, RUN / "history.csv", damage)
    with pytest.raises(CnnstudyError) as caught:
        read_history(path)
    assert_one_line_naming(caught.value, path, *words)


# -- metrics (summarise_runs, figure_errors) -------------------------------------------------------------

def a_list(path: Path) -> None:
    path.write_text(json.dumps([1, 2, 3]))


def key_missing(path: Path) -> None:
    data = json.loads(path.read_text())
    del data["f1_macro"]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (truncated, ["not valid JSON"]),
    (binary_noise, ["not"]),
    (a_list, ["holds a JSON list"]),
    (key_missing, ["no key 'f1_macro'"]),
    ("another variant's", ["variant is 'separable', expected 'small'"]),
])
def test_damaged_metrics_are_one_line(study_run, tmp_path, damage, words):
    if damage == "another variant's":
        damage = lambda path: shutil.copy2(study_run / OTHER_RUN / "metrics.json", path)  # noqa: E731
    path = damaged_copy(study_run, tmp_path, RUN / "metrics.json", damage)
    with pytest.raises(CnnstudyError) as caught:
        read_json(path, METRICS_KEYS, {"dataset": "tiny", "variant": "small", "seed": 0})
    assert_one_line_naming(caught.value, path, *words)


# -- prepared splits and distorted copies (train, evaluate, distort, budget_check) ------------------

def other_arrays(path: Path) -> None:
    np.savez(path.open("wb"), pictures=np.zeros((2, 28, 28), np.uint8))


def float_images(path: Path) -> None:
    with np.load(path) as data:
        arrays = dict(data)
    np.savez(path.open("wb"), **{**arrays, "images": arrays["images"].astype(np.float32)})


def labels_short(path: Path) -> None:
    with np.load(path) as data:
        arrays = dict(data)
    np.savez(path.open("wb"), **{**arrays, "labels": arrays["labels"][:-1]})


@pytest.mark.parametrize("damage, words", [
    (empty, ["empty"]),
    (truncated, ["not a readable .npz file"]),
    (text_instead, ["not a readable .npz file"]),
    (other_arrays, ["no array 'images', 'labels', 'provenance'"]),
    (float_images, ["images are float32", "expected uint8 [N, 28, 28]"]),
    (labels_short, ["labels are", "expected 100 integers"]),
])
def test_a_damaged_split_is_one_line(study_run, tmp_path, damage, words):
    path = damaged_copy(study_run, tmp_path, DATA / "test.npz", damage)
    with pytest.raises(CnnstudyError) as caught:
        load_split(path)
    assert_one_line_naming(caught.value, path, *words)


def test_distorted_copies_of_another_split_are_one_line(study_run, tmp_path):
    path = damaged_copy(study_run, tmp_path, DATA / "distorted" / "elastic.npz", lambda path: None)
    train_digits = len(load_split(study_run / DATA / "train.npz")[1])
    assert len(load_distorted(path, train_digits)) == 2  # the real one loads
    with pytest.raises(CnnstudyError) as caught:
        load_distorted(path, train_digits + 1)
    assert_one_line_naming(caught.value, path, f"[copies, {train_digits + 1}, 28, 28]")


# -- through Snakemake: one line on stderr, no traceback in any log, the damaged input kept ---------

@pytest.mark.parametrize("relative, damage, target, words", [
    (RUN / "model.pt", empty, str(RUN / "metrics.json"), "empty"),
    (RUN / "predictions.csv", rows_missing, "results/tiny/compare/claims.csv", "93 rows, expected 100"),
    (RUN / "metrics.json", "another variant's", "results/tiny/compare/summary.csv", "variant is 'separable'"),
])
def test_a_damaged_file_stops_its_job_with_one_line_and_no_traceback(rerun_copy, relative, damage, target, words):
    path = rerun_copy / relative
    if damage == "another variant's":
        shutil.copyfile(rerun_copy / OTHER_RUN / relative.name, path)  # a new mtime, as a copy by hand has
    else:
        damage(path)
    damaged = path.read_bytes()
    result = run_snakemake(rerun_copy, "--cores", "1", target, check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("cnnstudy: ")]
    assert errors and all(line.startswith(f"cnnstudy: {relative}: ") for line in errors), result.stderr[-3000:]
    assert words in errors[0]
    logs = [log.read_text() for folder in ("logs", "results") for log in (rerun_copy / folder).rglob("*.log")]
    assert "Traceback" not in result.stderr + result.stdout and not any("Traceback" in log for log in logs)
    assert path.read_bytes() == damaged  # the input stays as it was, for the user to look at
