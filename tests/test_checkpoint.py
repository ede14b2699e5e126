import pytest
import torch

from cnnstudy.checkpoint import load_checkpoint, save_checkpoint
from cnnstudy.errors import CheckpointError
from cnnstudy.models import build_model

SPEC = {"family": "ciresan", "conv_depth": 4}


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = build_model(SPEC).to(memory_format=torch.channels_last)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, {"variant": "small", "model": SPEC, "seed": 0})
    return path, model


def test_round_trip_weights_only(checkpoint):
    path, model = checkpoint
    loaded, meta = load_checkpoint(path, "small", SPEC)
    assert meta["seed"] == 0
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    torch.load(path, weights_only=True)  # loadable without unpickling code


def test_other_variant_is_refused(checkpoint):
    path, _ = checkpoint
    with pytest.raises(CheckpointError, match=r"model.pt: checkpoint of variant 'small', expected 'large'"):
        load_checkpoint(path, "large", SPEC)
    with pytest.raises(CheckpointError, match="differs from the config"):
        load_checkpoint(path, "small", {**SPEC, "fc_depth": 2})


def test_corrupt_file_is_refused(checkpoint):
    path, _ = checkpoint
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match=r"model.pt: not a readable checkpoint"):
        load_checkpoint(path, "small", SPEC)


class NotATensor:
    """A pickled object a weights-only load must refuse to construct."""


def test_an_unsafe_checkpoint_is_refused_naming_the_global(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"meta": {"variant": "small"}, "state_dict": {}, "extra": NotATensor()}, path)
    with pytest.raises(CheckpointError, match=r"model.pt: refused: loading it would run code from "
                                              r"test_checkpoint.NotATensor \(a checkpoint holds"):
        load_checkpoint(path, "small", SPEC)


def test_an_unreadable_checkpoint_stays_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt", "small", SPEC)
