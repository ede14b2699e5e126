"""Reading the workflow's own result files back: any damage is one line naming the file.

A file a job wrote can be emptied, truncated, edited or copied over from another run before the
next job reads it. These readers check what the next job relies on (keys, columns, rows, whose
run it is) and raise :class:`DataError` with the path and what is wrong, not a parser's traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from cnnstudy.errors import DataError

# What the jobs downstream read from each file a job writes.
METRICS_KEYS = ("dataset", "variant", "seed", "accuracy", "f1_macro", "precision_macro", "recall_macro", "loss",
                "confusion_matrix", "training")
SPEED_KEYS = ("latency_ms", "throughput_images_per_s")
AUDIT_KEYS = ("model", "macs", "params")
BUDGET_KEYS = ("variant", "epochs", "long_epochs", "lift", "trained", "verdict", "why")
HISTORY_COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr_sum", "seconds")
PREDICTION_COLUMNS = ("index", "label", "predicted", "confidence")


def reason(error: BaseException) -> str:
    """The first line of an exception's message, or its type where the message is empty."""
    text = str(error).strip()
    return text.splitlines()[0][:160] if text else type(error).__name__


def is_empty(handle: BinaryIO) -> bool:
    """Whether an open binary file holds no bytes (left at its start): the parsers' own errors
    for an empty file name nothing a user can act on."""
    empty = not handle.read(1)
    handle.seek(0)
    return empty


def read_json(path: Path | str, keys: Iterable[str] = (), expect: Mapping[str, Any] | None = None) -> Any:
    """A JSON file; with ``keys``, an object holding each of them; with ``expect``, one whose
    values at those keys are these (another run's file copied in its place is refused)."""
    try:
        data = json.loads(Path(path).read_text())
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file (expected JSON)") from None
    except json.JSONDecodeError as error:
        what = "empty" if not error.doc.strip() else f"not valid JSON (line {error.lineno}: {error.msg})"
        raise DataError(f"{path}: {what}") from None
    keys = tuple(keys)
    if keys or expect:
        if not isinstance(data, dict):
            raise DataError(f"{path}: holds a JSON {type(data).__name__}, expected an object with {', '.join(keys)}")
        missing = [key for key in keys if key not in data]
        if missing:
            raise DataError(f"{path}: no key {', '.join(map(repr, missing))} (written by another version, or edited)")
        for key, value in (expect or {}).items():
            if data.get(key) != value:
                raise DataError(f"{path}: {key} is {data.get(key)!r}, expected {value!r} (another run's file?)")
    return data


def read_table(path: Path | str, columns: Iterable[str] = (), rows: int | None = None,
               min_rows: int = 0, **read_csv: Any) -> pd.DataFrame:
    """A CSV file with at least ``columns``; exactly ``rows`` rows, or at least ``min_rows``."""
    try:
        frame = pd.read_csv(path, **read_csv)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty (no header, no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: not a readable CSV table ({reason(error)})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {', '.join(map(repr, missing))}")
    if rows is not None and len(frame) != rows:
        raise DataError(f"{path}: {len(frame)} rows, expected {rows} (truncated or edited?)")
    if len(frame) < min_rows:
        raise DataError(f"{path}: {len(frame)} rows, expected at least {min_rows}")
    return frame


def read_history(path: Path | str) -> pd.DataFrame:
    """A run's per-epoch history: one numeric row per epoch, from epoch 1."""
    frame = read_table(path, HISTORY_COLUMNS, min_rows=1)
    values = frame[list(HISTORY_COLUMNS)]
    if not all(pd.api.types.is_numeric_dtype(values[column]) for column in values) or values.isna().any().any():
        raise DataError(f"{path}: a value that is not a number in {', '.join(HISTORY_COLUMNS)}")
    if list(frame["epoch"]) != list(range(1, len(frame) + 1)):
        raise DataError(f"{path}: epochs {list(frame['epoch'])[:8]}, expected 1, 2, ... in order")
    return frame


def read_predictions(path: Path | str, digits: int) -> pd.DataFrame:
    """A run's per-digit predictions on the ``digits`` test digits, in the split's order."""
    frame = read_table(path, PREDICTION_COLUMNS, rows=digits)
    if list(frame["index"]) != list(range(digits)):
        raise DataError(f"{path}: column 'index' is not 0 to {digits - 1} in order (rows moved or edited)")
    for column in ("label", "predicted"):
        if not pd.api.types.is_integer_dtype(frame[column]) or not frame[column].between(0, 9).all():
            raise DataError(f"{path}: column {column!r} holds a value that is not a digit 0-9")
    return frame
