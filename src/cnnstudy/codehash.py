"""Which library code a workflow script runs, and a hash of it.

Snakemake's code trigger sees a rule's script file, not the library modules it imports. Each
rule therefore carries a hash of the modules its script imports, transitively, read from the
import statements (function-local ones included) rather than from a hand-kept list that drifts.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE = "cnnstudy"
PACKAGE_DIR = Path(__file__).resolve().parent


def imported_modules(source: Path, package_dir: Path = PACKAGE_DIR) -> set[str]:
    """Module names of the package (``cnnstudy.x``) that ``source`` imports, directly or through
    other modules of the package; the package's ``__init__`` counts, since every import runs it."""
    found: set[str] = set()
    pending = [source]
    while pending:
        for name in direct_imports(pending.pop(), package_dir):
            if name not in found:
                found.add(name)
                pending.append(module_file(name, package_dir))
    return found | {PACKAGE} if found else found


def direct_imports(source: Path, package_dir: Path) -> set[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = PACKAGE if node.level else node.module or ""  # the package's modules import absolutely or from "."
            if node.level and node.module:
                base = f"{PACKAGE}.{node.module}"
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        names.update(name for name in candidates
                     if name.startswith(f"{PACKAGE}.") and module_file(name, package_dir).is_file())
    return names


def module_file(name: str, package_dir: Path) -> Path:
    if name == PACKAGE:
        return package_dir / "__init__.py"
    return package_dir.joinpath(*name.split(".")[1:]).with_suffix(".py")


def code_hash(script: Path, package_dir: Path = PACKAGE_DIR) -> str:
    """A short hash of the library code behind ``script``: changes when any module it runs changes."""
    digest = hashlib.sha256()
    for name in sorted(imported_modules(Path(script), package_dir)):
        digest.update(name.encode() + b"\0" + module_file(name, package_dir).read_bytes())
    return digest.hexdigest()[:12]
