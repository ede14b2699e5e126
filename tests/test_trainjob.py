"""The training job: the variant's budget of digits, the outputs, the resume state."""

import numpy as np
import pandas as pd
import torch

from cnnstudy.checkpoint import load_checkpoint
from cnnstudy.config import training_defaults
from cnnstudy.datasets import save_split
from cnnstudy.trainjob import run_training_job
from conftest import REPO

TINY = {"family": "ciresan", "conv_depth": 3, "fc_depth": 1, "fc_width": 16}


def job_files(tmp_path, count=200):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (count, 28, 28), np.uint8), (np.arange(count) % 10).astype(np.uint8)
    save_split(tmp_path / "train.npz", images, labels, {})
    save_split(tmp_path / "validation.npz", images[:40], labels[:40], {})
    return {"train_file": tmp_path / "train.npz", "validation_file": tmp_path / "validation.npz", "distorted_file": None,
            "resume_file": tmp_path / "resume" / "seed0.pt", "code": "code"}


def train(tmp_path, name, **training):
    messages = []
    settings = {**training_defaults(REPO), "epochs": 1, "batch_size": 32, "device": "cpu", "precision": "fp32",
                **training}
    meta = run_training_job(run={"dataset": "tiny", "variant": name, "seed": 0}, spec=TINY, training=settings,
                            checkpoint_file=tmp_path / name / "model.pt", history_file=tmp_path / name / "history.csv",
                            log=messages.append, **job_files(tmp_path))
    return meta, messages


def test_a_variant_can_train_on_fewer_digits(tmp_path):
    meta, messages = train(tmp_path, "small", train_images=50)
    assert meta["train_images"] == 50 and any("on 50 images" in m for m in messages)
    full, _ = train(tmp_path, "full", train_images=None)
    assert full["train_images"] == 200 and full["fingerprint"] != meta["fingerprint"]


def test_the_job_writes_its_outputs_and_then_drops_the_resume_state(tmp_path):
    meta, _ = train(tmp_path, "small", epochs=2)
    model, saved = load_checkpoint(tmp_path / "small" / "model.pt", "small", TINY)
    assert saved == meta and saved["dataset"] == "tiny" and saved["seed"] == 0 and saved["epochs"] == 2
    history = pd.read_csv(tmp_path / "small" / "history.csv")
    assert list(history["epoch"]) == [1, 2] and saved["wall_seconds"] == history["seconds"].sum()
    assert not (tmp_path / "resume" / "seed0.pt").exists() and (tmp_path / "resume").is_dir()
    assert isinstance(model, torch.nn.Module)
