"""A run's small results in one archive, so that the report can be built on another machine.

Trainings run where the compute is (a GPU box, a cluster); the comparison and the report need
only what the runs measured: metrics, test predictions, histories, speed, the budget checks,
the test split and the data summaries. ``pack`` writes them (no checkpoints) with a manifest of
the runs and the settings that made them; ``unpack`` checks the manifest against the config of
the machine that builds the report and restores the files, so that a result is never read
under settings it was not made with.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from cnnstudy.errors import DataError
from cnnstudy.files import atomic_path, write_bytes

MANIFEST = "manifest.json"


def pack(archive: Path | str, members: list[str], manifest: dict[str, Any], root: Path | str = ".") -> None:
    """Write ``members`` (paths relative to ``root``) and the manifest into a .tar.gz."""
    root = Path(root)
    with atomic_path(archive) as partial, tarfile.open(partial, "w:gz") as tar:
        text = json.dumps({**manifest, "members": members}, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
        for member in members:
            tar.add(root / member, arcname=member, recursive=False)


def read_manifest(archive: Path | str) -> dict[str, Any]:
    """The manifest of a bundle; DataError naming the file if it is not one."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            stream = tar.extractfile(MANIFEST)
            if stream is None:
                raise KeyError(MANIFEST)
            return json.loads(stream.read())
    except FileNotFoundError:
        raise DataError(f"{archive}: no such bundle; make one with `snakemake results/bundle.tar.gz` "
                        "where the trainings ran") from None
    except (tarfile.TarError, EOFError, OSError, KeyError, ValueError) as error:
        raise DataError(f"{archive}: not a results bundle of this workflow ({type(error).__name__}: "
                        f"{str(error) or 'empty or truncated'})") from None


def first_difference(made: Any, wanted: Any, where: str) -> str | None:
    """The first key path where two settings differ, with both values; None when equal."""
    if isinstance(made, dict) and isinstance(wanted, dict):
        for key in sorted(set(made) | set(wanted), key=str):
            found = first_difference(made.get(key), wanted.get(key), f"{where}.{key}")
            if found:
                return found
        return None
    return None if made == wanted else f"{where} = {made!r}, this config says {wanted!r}"


def check_manifest(archive: Path | str, manifest: dict[str, Any], expected: dict[str, Any],
                   members: list[str]) -> None:
    """The bundle holds every file this config's report needs, made with this config's settings."""
    made_variants = manifest.get("variants", {})
    for variant in expected["variants"]:
        if variant not in made_variants:
            raise DataError(f"{archive}: holds no runs of variant {variant!r}, which this config trains "
                            f"(the bundle has {', '.join(sorted(made_variants)) or 'none'})")
    made = {**manifest, "variants": {name: made_variants[name] for name in expected["variants"]}}
    for section in expected:
        difference = first_difference(made.get(section), expected[section], section)
        if difference:
            raise DataError(f"{archive}: its runs were made with {difference}: build the report with the config "
                            "the runs were made with")
    held = set(manifest.get("members", []))
    missing = [member for member in members if member not in held]
    if missing:
        more = f" and {len(missing) - 1} more file(s)" if len(missing) > 1 else ""
        raise DataError(f"{archive}: lacks {missing[0]}{more} that this config's report needs (other seeds or "
                        "variants than the run that made it?)")


def unpack(archive: Path | str, members: list[str], expected: dict[str, Any], root: Path | str = ".") -> None:
    """Restore ``members`` from the bundle under ``root``, each file written whole or not at all."""
    manifest = read_manifest(archive)
    check_manifest(archive, manifest, expected, members)
    root = Path(root)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in members:
                stream = tar.extractfile(member)
                if stream is None:
                    raise DataError(f"{archive}: {member} is not a file")
                write_bytes(root / member, stream.read())
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataError(f"{archive}: damaged ({type(error).__name__}: {error})") from None
