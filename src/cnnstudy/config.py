"""Checks of the config that a JSON schema cannot express, and its per-rule slices.

The schema (config/schema.yaml) checks keys, types and ranges; here the cross-references:
model options, training data that names a distortion, comparisons that name variants.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from cnnstudy.errors import ConfigError
from cnnstudy.specs import MNIST_SHAPE, check_spec, input_shape

# training keys that do not change a run's results: job resources (GPU sharing too), per-epoch snapshots and
# TensorBoard curves.
# ``threads`` is not one of them: oneDNN splits its reductions by thread count, so 1 and 2
# threads give different weights (tests/test_workflow.py shows the rerun).
NON_RESULT_KEYS = ("mem_mb", "runtime", "jobs_per_gpu", "snapshots", "tensorboard")


def check_config(config: dict[str, Any]) -> None:
    """Raise ConfigError naming the first bad key; the config is already schema-valid."""
    datasets = config.get("datasets", {})
    for name in config["run"]["datasets"]:
        if name not in datasets:
            raise ConfigError(f"run.datasets: {name!r} is not defined under datasets ({sorted(datasets)})")
    for name, spec in datasets.items():
        if spec["source"] in ("mnist", "idx") and "path" not in spec:
            raise ConfigError(f"datasets.{name}.path: a folder of idx files is needed for source {spec['source']!r}")
    variants = config["variants"]
    for name in config["run"]["variants"] or []:
        if name not in variants:
            raise ConfigError(f"run.variants: {name!r} is not a variant ({', '.join(variants)})")
    for name, variant in variants.items():
        where = f"variants.{name}.model"
        check_spec(variant["model"], where)
        shape = input_shape(variant["model"])
        if shape != MNIST_SHAPE or variant["model"].get("num_classes", 10) != 10:
            raise ConfigError(
                f"{where}: trained variants take 1x28x28 digits into 10 classes, this spec takes "
                f"{'x'.join(map(str, shape))}; list it under audit.models to audit it only"
            )
        data = variant.get("train_data", "clean")
        if data != "clean" and data not in config.get("distortions", {}):
            raise ConfigError(f"variants.{name}.train_data: {data!r} is neither 'clean' nor a distortion name")
    for name, spec in config["audit"]["models"].items():
        if name in variants:
            raise ConfigError(f"audit.models.{name}: the name is taken by a variant")
        check_spec(spec, f"audit.models.{name}")
    pairs = [("comparisons", i, pair) for i, pair in enumerate(config.get("comparisons", []))]
    for name, claim in config.get("claims", {}).items():
        pairs += [(f"claims.{name}.tests", i, pair) for i, pair in enumerate(claim["tests"])]
    for where, index, pair in pairs:
        for role in ("variant", "reference"):
            if pair[role] not in variants:
                raise ConfigError(f"{where}[{index}].{role}: {pair[role]!r} is not a variant")
        if pair["variant"] == pair["reference"]:
            raise ConfigError(f"{where}[{index}]: a variant compared with itself")
        if pair.get("measure", "accuracy") in ("accuracy", "gap"):  # paired over the seeds both have
            seeds = [set(variant_seeds(config, pair[role])) for role in ("variant", "reference")]
            if not seeds[0] & seeds[1]:
                raise ConfigError(f"{where}[{index}]: {pair['variant']} (seeds {sorted(seeds[0])}) and "
                                  f"{pair['reference']} (seeds {sorted(seeds[1])}) share no seed; a pair is "
                                  "judged on the seeds both have")


def check_numbers(config: Any, schema: dict[str, Any]) -> None:
    """What a JSON schema lets through: ``.nan`` and ``.inf`` pass ``type: number`` (and its
    bounds, since every comparison with NaN is false), and ``2.0`` passes ``type: integer``.
    Raise ConfigError naming the first such key."""
    _check_numbers(config, [schema], schema, "")


def _check_numbers(value: Any, nodes: list[dict[str, Any]], root: dict[str, Any], where: str) -> None:
    nodes = [resolved for node in nodes for resolved in _with_refs(node, root)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where or '(top level)'}: {value} is not a finite number")
    types = {kind for node in nodes for kind in _types(node)}
    if isinstance(value, float) and "integer" in types and "number" not in types:
        raise ConfigError(f"{where}: {value!r} is not an integer (write {int(value)})"
                          if value.is_integer() else f"{where}: {value!r} is not an integer")
    if isinstance(value, dict):
        for key, item in value.items():
            children = [child for node in nodes
                        for child in (node.get("properties", {}).get(key), node.get("additionalProperties"))
                        if isinstance(child, dict)]
            _check_numbers(item, children, root, key_path([where, key]))
    elif isinstance(value, list):
        children = [node["items"] for node in nodes if isinstance(node.get("items"), dict)]
        for index, item in enumerate(value):
            _check_numbers(item, children, root, key_path([where, index]))


def _with_refs(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The node and what its local ``$ref`` ("#/$defs/...") points to, transitively."""
    found = [node]
    while "$ref" in found[-1]:
        found.append(resolve_ref(found[-1]["$ref"], root))
    return found


def resolve_ref(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    """The node a local JSON-schema reference ("#/$defs/training") points to."""
    target: Any = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("type", [])
    return [kinds] if isinstance(kinds, str) else list(kinds)


def load_config(root: Path | str, *overlays: Path | str) -> dict[str, Any]:
    """The workflow's config outside Snakemake: ``config/config.yaml`` of the workflow at
    ``root``, each overlay on top (``--configfile`` semantics), defaults filled by the schema."""
    import yaml
    from snakemake.utils import update_config, validate

    config = yaml.safe_load((Path(root) / "config" / "config.yaml").read_text())
    for overlay in overlays:
        update_config(config, yaml.safe_load(Path(overlay).read_text()))
    schema = Path(root) / "config" / "schema.yaml"
    check_numbers(config, yaml.safe_load(schema.read_text()))
    validate(config, str(schema))
    return config


def training_defaults(root: Path | str) -> dict[str, Any]:
    """The training block a run gets when it sets nothing: the schema's defaults (for code that
    trains outside the workflow, such as the benchmarks and tests)."""
    from snakemake.utils import validate

    config: dict[str, Any] = {"variants": {"any": {"model": {"family": "ciresan"}}}}
    validate(config, str(Path(root) / "config" / "schema.yaml"))
    return config["training"]


def trained_variants(config: dict[str, Any]) -> list[str]:
    """The variants this run trains (``run.variants``, else all), in the config's order."""
    chosen = config["run"]["variants"]
    return [name for name in config["variants"] if chosen is None or name in chosen]


def budget_variants(config: dict[str, Any]) -> list[str]:
    """The trained variants whose accuracy decides a claim: each gets a budget check (its first
    seed trained again with twice the epochs, cnnstudy.convergence.budget_check)."""
    deciding = {name for claim in config.get("claims", {}).values() for test in claim["tests"]
                if test.get("role", "decides") == "decides" and test.get("measure", "accuracy") in ("accuracy", "gap")
                for name in (test["variant"], test["reference"])}
    return [name for name in trained_variants(config) if name in deciding]


def variant_seeds(config: dict[str, Any], variant: str) -> list[int]:
    """The seeds a variant trains with: its own (the power plan's), else the run's."""
    return list(config["variants"][variant].get("seeds") or config["run"]["seeds"])


def variant_training(config: dict[str, Any], variant: str) -> dict[str, Any]:
    """The global training block with the variant's own overrides on top."""
    return {**config["training"], **config["variants"][variant].get("training", {})}


def audit_specs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every model to audit: the trained variants and the audit-only models."""
    specs = {name: variant["model"] for name, variant in config["variants"].items()}
    specs.update(config["audit"]["models"])
    return specs


def comparison_pairs(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(variant, reference) pairs whose paired test predictions the comparison needs: the extra
    comparisons and the claims' accuracy and gap tests, each once, in order.

    A pair and its reverse are the same test, so only the first orientation is kept."""
    pairs = [(p["variant"], p["reference"]) for p in config.get("comparisons", [])]
    for claim in config.get("claims", {}).values():
        pairs += [(t["variant"], t["reference"]) for t in claim["tests"]
                  if t.get("measure", "accuracy") in ("accuracy", "gap")]
    unique: dict[frozenset[str], tuple[str, str]] = {}
    for pair in pairs:
        unique.setdefault(frozenset(pair), pair)
    return list(unique.values())


# config/schema.yaml's patterns, in words
PATTERN_WORDS = {
    "^[A-Za-z0-9][A-Za-z0-9_.-]*$": "a valid name (a letter or digit, then letters, digits, '.', '_' or '-')",
    "^(auto|cpu|cuda(:[0-9]+)?)$": "a device: auto, cpu, cuda or cuda:N",
}


def key_path(parts: list[Any]) -> str:
    """The one spelling of a config key in messages: names joined by dots, list items in brackets
    (``claims.elastic.tests[0].expect``)."""
    path = ""
    for part in parts:
        if part in ("", None):
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def schema_error(error: Any) -> str:
    """``<key>: <what is wrong>`` for a jsonschema ValidationError, in words rather than schema terms."""
    where = key_path(list(error.absolute_path)) or "(top level)"
    if error.validator == "not" and isinstance(error.validator_value, dict) and "enum" in error.validator_value:
        taken = ", ".join(map(repr, error.validator_value["enum"]))
        return f"{where}: {error.instance!r} is a reserved name here ({taken} cannot be used)"
    if error.validator == "pattern":
        form = PATTERN_WORDS.get(error.validator_value, "the form this key takes (config/README.md)")
        return f"{where}: {error.instance!r} is not {form}"
    return f"{where}: {error.message}"
