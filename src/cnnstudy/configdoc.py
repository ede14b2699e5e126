"""The config reference tables of config/README.md, generated from config/schema.yaml.

The schema is the one home of every key's type, default and meaning (``description``); the
README's tables are rendered from it between markers, so a default changed in the schema shows
in the reference after ``python -m cnnstudy.configdoc`` and nowhere else needs editing.
A test fails when the committed tables differ from the rendered ones.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from cnnstudy.config import resolve_ref

MARKER = re.compile(r"(<!-- config table: (?P<path>[\w.*\[\]]+) -->\n)(?P<body>.*?)(<!-- end config table -->)", re.S)


def merged(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """A schema node with what its local ``$ref`` points to underneath (the node's own keys win;
    ``properties`` are merged key by key, so defaults and descriptions may sit on either side)."""
    if "$ref" not in node:
        return node
    base = merged(resolve_ref(node["$ref"], root), root)
    properties = {key: {**base.get("properties", {}).get(key, {}), **node.get("properties", {}).get(key, {})}
                  for key in {**base.get("properties", {}), **node.get("properties", {})}}
    return {**base, **{k: v for k, v in node.items() if k != "$ref"}, "properties": properties}


def section(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The node at a dotted path; ``*`` steps into the value schema of a name-keyed mapping,
    ``[]`` into the items of a list."""
    node = schema
    for part in path.split("."):
        node = merged(node, schema)
        if part == "*":
            node = node["additionalProperties"]
        elif part == "[]":
            node = node["items"]
        else:
            node = node["properties"][part.removesuffix("[]")]
            if part.endswith("[]"):
                node = merged(node, schema)["items"]
    return merged(node, schema)


def rows(node: dict[str, Any], root: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """(key, default, meaning) of every documented key under ``node``; an object without its own
    description is flattened into its keys (``cap.train``)."""
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        child = merged(child, root)
        name = f"{prefix}{key}"
        if "description" not in child:
            if "properties" in child:
                yield from rows(child, root, f"{name}.")
                continue
            if isinstance(child.get("additionalProperties"), dict):
                yield from rows(merged(child["additionalProperties"], root), root, f"{name}.<name>.")
                continue
            raise KeyError(f"{name}: no description in the schema")
        if "x-default" in child:
            default = child["x-default"]
        elif "default" in child:
            default = f"`{flow(child['default'])}`"
        else:
            default = "(required)" if key in required else ""
        yield name, default, " ".join(child["description"].split())


def flow(value: Any) -> str:
    """A value as it would be written in config.yaml."""
    if value == "":
        return '""'
    text = yaml.safe_dump(value, default_flow_style=True, width=1000, sort_keys=False).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def table(schema: dict[str, Any], path: str) -> str:
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | {default} | {meaning} |" for key, default, meaning in rows(section(schema, path), schema)]
    return "\n".join(lines) + "\n"


def render(readme: str, schema: dict[str, Any]) -> str:
    """``readme`` with every marked table rendered anew from ``schema``."""
    return MARKER.sub(lambda m: m.group(1) + table(schema, m.group("path")) + m.group(4), readme)


def main(root: Path) -> None:
    readme = root / "config" / "README.md"
    schema = yaml.safe_load((root / "config" / "schema.yaml").read_text())
    readme.write_text(render(readme.read_text(), schema))
    print(f"{readme}: config tables rendered from config/schema.yaml", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))  # the workflow's folder
