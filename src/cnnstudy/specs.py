"""What a model spec may say, checked without torch: the workflow validates its config at parse
time, where a dry-run or a lint needs Snakemake alone (cnnstudy.models builds the nets)."""

from __future__ import annotations

from typing import Any

from cnnstudy.digits import IMAGE_SIZE
from cnnstudy.errors import ConfigError

Spec = dict[str, Any]

MNIST_SHAPE = (1, *IMAGE_SIZE)
RESNET_STEMS = ("3x3", "7x7")

# family -> the options a spec may set, with their types
OPTIONS: dict[str, dict[str, type]] = {
    "alexnet": {"in_channels": int, "num_classes": int, "dropout": float, "input_size": int},
    "ciresan": {"conv_depth": int, "residual": bool, "fc_depth": int, "fc_width": int, "separable": bool,
                "pool_after": list, "in_channels": int, "num_classes": int, "init": str},
    "resnet18": {"in_channels": int, "num_classes": int, "stem": str, "stem_maxpool": bool},
}


def check_spec(spec: Spec, where: str = "model") -> None:
    """Raise ConfigError naming the key when a spec names an unknown family or a bad option."""
    if not isinstance(spec, dict) or "family" not in spec:
        raise ConfigError(f"{where}: a model spec needs a 'family' (one of {sorted(OPTIONS)})")
    family = spec["family"]
    if family not in OPTIONS:
        raise ConfigError(f"{where}.family: unknown model family {family!r}; known: {sorted(OPTIONS)}")
    options = OPTIONS[family]
    for key, value in spec.items():
        if key == "family":
            continue
        if key not in options:
            raise ConfigError(f"{where}.{key}: unknown option for family {family!r}; known: {sorted(options)}")
        expected = options[key]
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ConfigError(f"{where}.{key}: expected {expected.__name__}, got {value!r}")
    if family == "resnet18" and spec.get("stem", "3x3") not in RESNET_STEMS:
        raise ConfigError(f"{where}.stem: must be one of {list(RESNET_STEMS)}, got {spec.get('stem')!r}")
    if family == "ciresan":
        depth = spec.get("conv_depth", 7)
        if depth < 3:
            raise ConfigError(f"{where}.conv_depth: must be >= 3, got {depth}")
        if spec.get("residual", False) and (depth - 3) % 2:
            raise ConfigError(
                f"{where}.conv_depth: a residual CiresanNet needs 3 + 2k convs (a projected conv3, "
                f"then pairs of a plain conv and a conv with an identity shortcut), got {depth}"
            )
        if not 1 <= spec.get("fc_depth", 3) <= 5:
            raise ConfigError(f"{where}.fc_depth: must be 1 to 5, got {spec.get('fc_depth')}")
        if spec.get("init", "he") not in ("he", "torch"):
            raise ConfigError(f"{where}.init: must be 'he' or 'torch', got {spec.get('init')!r}")
        pools = spec.get("pool_after")
        if pools is not None and (
            not all(isinstance(p, int) and 1 <= p <= depth for p in pools) or len(set(pools)) > 4
        ):
            raise ConfigError(f"{where}.pool_after: conv indices 1..{depth}, at most 4, got {pools}")


def input_shape(spec: Spec) -> tuple[int, int, int]:
    """The (C, H, W) input a model of this spec takes."""
    check_spec(spec)
    if spec["family"] == "alexnet":
        return spec.get("in_channels", 3), spec.get("input_size", 224), spec.get("input_size", 224)
    return (spec.get("in_channels", 1), *IMAGE_SIZE)
