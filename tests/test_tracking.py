"""TensorBoard curves: what the writer stores reads back as the history it came from."""

import sys

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from cnnstudy.errors import ConfigError
from cnnstudy.tracking import SCALARS, tensorboard_writer, write_epoch
from cnnstudy.train import fit, seeded_model
from conftest import train_settings


def test_each_epochs_curves_read_back_as_its_history_row(tmp_path):
    images = torch.randint(0, 255, (64, 28, 28), dtype=torch.uint8)
    labels = (torch.arange(64) % 10).to(torch.uint8)
    writer = tensorboard_writer(tmp_path / "tb")
    history = fit(seeded_model({"family": "ciresan", "conv_depth": 3, "fc_depth": 1}, 0), images, labels, images,
                  labels, train_settings(epochs=3, batch_size=32), 0, torch.device("cpu"), "fp32",
                  log=lambda line: None, on_epoch_end=lambda epoch, model, row: write_epoch(writer, epoch, row))
    writer.close()
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert set(events.Tags()["scalars"]) == set(SCALARS.values())
    for column, tag in SCALARS.items():
        scalars = events.Scalars(tag)
        assert [event.step for event in scalars] == [1, 2, 3]
        assert [event.value for event in scalars] == pytest.approx([row[column] for row in history], rel=1e-6)


def test_without_the_package_it_is_one_line_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # an import of it now fails
    with pytest.raises(ConfigError, match=r"^training.tensorboard: true needs the tensorboard package: pip install"):
        tensorboard_writer(tmp_path / "tb")
    assert not (tmp_path / "tb").exists()
