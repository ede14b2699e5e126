"""Training curves for TensorBoard: each epoch's history row as scalars, beside history.csv.

Optional (the ``tensorboard`` extra, ``training.tensorboard: true``). The event files are not
Snakemake outputs, so they change no result and rerun nothing; history.csv stays the record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnstudy.errors import ConfigError

# history.csv column -> TensorBoard tag (losses and accuracies side by side in one chart each)
SCALARS = {"train_loss": "loss/train", "val_loss": "loss/validation", "train_accuracy": "accuracy/train",
           "val_accuracy": "accuracy/validation", "lr": "learning_rate"}


def tensorboard_writer(folder: Path) -> Any:
    """A SummaryWriter into ``folder``, made before the first epoch so a missing package costs no work."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError("training.tensorboard: true needs the tensorboard package: "
                          "pip install -e '.[tensorboard]'") from None
    return SummaryWriter(log_dir=str(folder))


def write_epoch(writer: Any, epoch: int, row: dict[str, float]) -> None:
    """One epoch's scalars, flushed at once: a TensorBoard watching the folder sees it while training runs."""
    for column, tag in SCALARS.items():
        writer.add_scalar(tag, row[column], epoch)
    writer.flush()
