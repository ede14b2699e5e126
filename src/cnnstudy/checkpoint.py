"""Checkpoints: a state_dict plus the metadata that says what it is, loaded weights-only."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnstudy.errors import CheckpointError
from cnnstudy.files import write_bytes
from cnnstudy.models import build_model
from cnnstudy.readers import is_empty, reason


def save_checkpoint(path: Path | str, model: nn.Module, meta: dict[str, Any]) -> None:
    state = {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}
    write_bytes(path, to_bytes({"state_dict": state, "meta": meta}))


def to_bytes(state: Any) -> bytes:
    """torch.save into memory: a full disk then fails as an OS error of the output file, not in
    torch's zip writer."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def load_weights(path: Path | str) -> Any:
    """``torch.load(weights_only=True)``; a file that needs more than tensors and plain
    containers is refused naming the globals it asks for, a damaged one naming what is wrong.
    OS errors stay OS errors."""
    with open(path, "rb") as handle:
        if is_empty(handle):
            raise CheckpointError(f"{path}: empty (0 bytes; a job killed while writing it leaves none, so it was "
                                  "emptied or copied short)")
        try:
            return torch.load(handle, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            handle.seek(0)
            try:
                unsafe = ", ".join(torch.serialization.get_unsafe_globals_in_checkpoint(handle))
            except Exception:  # not a torch archive at all
                unsafe = ""
            if not unsafe:
                raise CheckpointError(f"{path}: not a readable checkpoint ({reason(error)})") from None
            raise CheckpointError(f"{path}: refused: loading it would run code from {unsafe} "
                                  "(a checkpoint holds tensors and plain values only)") from None
        except Exception as error:  # torch raises many types for damaged archives
            raise CheckpointError(f"{path}: not a readable checkpoint ({reason(error)})") from None


def load_checkpoint(path: Path | str, variant: str, spec: dict[str, Any]) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of ``variant`` from ``path``; refuse a corrupt file or another variant's."""
    checkpoint = load_weights(path)
    if not (isinstance(checkpoint, dict) and isinstance(checkpoint.get("meta"), dict)
            and isinstance(checkpoint.get("state_dict"), dict)):
        raise CheckpointError(f"{path}: holds a {type(checkpoint).__name__}, not a checkpoint of this workflow "
                              "(a dict of 'state_dict' and 'meta')")
    meta, state = checkpoint["meta"], checkpoint["state_dict"]
    if meta.get("variant") != variant:
        raise CheckpointError(f"{path}: checkpoint of variant {meta.get('variant')!r}, expected {variant!r}")
    if meta.get("model") != spec:
        raise CheckpointError(f"{path}: model spec {meta.get('model')} differs from the config's {spec}")
    model = build_model(spec)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit the model ({reason(error)})") from None
    return model, meta
