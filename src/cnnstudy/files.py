"""Atomic writers: an output either appears complete or not at all.

Snakemake takes any existing output file as done; writing to a temporary name in the same
folder and renaming it at the end means a crash never leaves a half-written file behind.
numpy is imported where an array is written: the workflow's parse-time checks import this module
in a Python that may hold Snakemake alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnstudy.errors import DataError

if TYPE_CHECKING:
    import numpy as np


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary file is created with the mode an ``open()`` would give (0666 less the umask),
    not mkstemp's 0600. An OS error while writing it (a full disk) names ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.part{path.suffix}")
    create_new(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as error:
        if error.filename is None or error.filename == str(tmp_path):  # name the output, not the temporary file
            raise OSError(error.errno, error.strerror or str(error), str(path)) from error
        raise
    finally:
        tmp_path.unlink(missing_ok=True)


def create_new(path: Path) -> None:
    """An empty file that did not exist, with the mode open() gives (0666 less the umask)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


def check_writable(folder: Path) -> None:
    """Create ``folder`` and a file in it now, so that a read-only folder fails before hours of work."""
    probe = folder / f".write-check.{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        create_new(probe)
        probe.unlink()
    except OSError as error:
        raise OSError(error.errno, f"{error.strerror} (the job writes here)", str(folder)) from error


def first_read_only_folder(roots: list[Path]) -> Path | None:
    """The first existing folder under ``roots`` this process cannot write: Snakemake deletes and
    creates outputs there, and would fail deep in its own code."""
    for root in roots:
        for folder, _, _ in os.walk(root):
            if not os.access(folder, os.W_OK | os.X_OK):
                return Path(folder)
    return None


def write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: Path | str, data: Any) -> None:
    """Strict JSON: a NaN or infinity is an error here, not an unreadable file later."""
    try:
        text = json.dumps(data, indent=2, sort_keys=True, default=_json_default, allow_nan=False)
    except ValueError:
        raise DataError(f"{path}: not written: {first_non_finite(data)} is not a finite number") from None
    write_text(path, text + "\n")


def first_non_finite(data: Any, where: str = "") -> str | None:
    """The key path of the first NaN or infinity in nested dicts and lists."""
    if hasattr(data, "tolist"):  # a numpy array or scalar
        data = data.tolist()
    if isinstance(data, float) and not math.isfinite(data):
        return f"{where or '(value)'} = {data}"
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, (list, tuple)) else ()
    for key, value in items:
        found = first_non_finite(value, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # a numpy array or scalar
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_npz(path: Path | str, **arrays: np.ndarray) -> None:
    """np.savez (uncompressed: digits load faster than they compress) written atomically."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def md5sum(path: Path | str, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()
