"""Checkpoints: a state_dict plus the metadata that says what it is, loaded weights-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from cnnstudy.errors import CheckpointError
from cnnstudy.files import atomic_path
from cnnstudy.models import build_model


def save_checkpoint(path: Path | str, model: nn.Module, meta: dict[str, Any]) -> None:
    state = {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"state_dict": state, "meta": meta}, tmp)


def load_checkpoint(path: Path | str, variant: str, spec: dict[str, Any]) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of ``variant`` from ``path``; refuse a corrupt file or another variant's."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        meta, state = checkpoint["meta"], checkpoint["state_dict"]
    except Exception as error:  # torch raises many types for damaged archives
        raise CheckpointError(f"{path}: not a readable checkpoint ({str(error).strip().splitlines()[0][:160] or type(error).__name__})") from None
    if meta.get("variant") != variant:
        raise CheckpointError(f"{path}: checkpoint of variant {meta.get('variant')!r}, expected {variant!r}")
    if meta.get("model") != spec:
        raise CheckpointError(f"{path}: model spec {meta.get('model')} differs from the config's {spec}")
    model = build_model(spec)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit the model ({str(error).splitlines()[0]})") from None
    return model, meta
