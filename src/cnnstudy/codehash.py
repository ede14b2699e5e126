"""Which library code decides a workflow script's output, and a hash of it.

Snakemake's code trigger sees a rule's script file, not the library modules it imports. Each
rule therefore carries a hash of the modules its script imports, transitively, read from the
import statements (function-local ones included) rather than from a hand-kept list that drifts.
Only code that decides a result counts: the infrastructure modules (job plumbing, GPU locks,
atomic writers, error types, this hash) are left out and not followed, and comments, docstrings
and blank lines are stripped, so rewording a message or a docstring reruns nothing.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import tokenize
from pathlib import Path

PACKAGE = "cnnstudy"
PACKAGE_DIR = Path(__file__).resolve().parent
# How a job runs and writes, not what it computes: editing these reruns nothing.
INFRASTRUCTURE = frozenset({PACKAGE} | {f"{PACKAGE}.{name}" for name in ("jobs", "gpus", "files", "errors", "codehash", "tracking")})


def imported_modules(source: Path, package_dir: Path = PACKAGE_DIR) -> set[str]:
    """Module names of the package (``cnnstudy.x``) that ``source`` imports, directly or through
    other modules of the package that decide results (an infrastructure module is listed, its
    imports are not followed)."""
    found: set[str] = set()
    pending = [source]
    while pending:
        for name in direct_imports(pending.pop(), package_dir):
            if name not in found:
                found.add(name)
                if name not in INFRASTRUCTURE:
                    pending.append(module_file(name, package_dir))
    return found


def direct_imports(source: Path, package_dir: Path) -> set[str]:
    return {name for name in imported_names(source.read_text(), str(source))
            if name.startswith(f"{PACKAGE}.") and module_file(name, package_dir).is_file()}


@functools.lru_cache(maxsize=1024)
def imported_names(text: str, filename: str) -> frozenset[str]:
    """Every name an import statement of ``text`` could refer to. Cached on the text: a Snakemake
    run hashes each of about 20 scripts, and they share most modules."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(text, filename=filename)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = PACKAGE if node.level else node.module or ""  # the package's modules import absolutely or from "."
            if node.level and node.module:
                base = f"{PACKAGE}.{node.module}"
            names.update([base] + [f"{base}.{alias.name}" for alias in node.names])
    return frozenset(names)


def module_file(name: str, package_dir: Path) -> Path:
    if name == PACKAGE:
        return package_dir / "__init__.py"
    return package_dir.joinpath(*name.split(".")[1:]).with_suffix(".py")


@functools.lru_cache(maxsize=1024)
def code_only(source: str) -> str:
    """The source without comments, docstrings, trailing spaces and blank lines: what runs."""
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstring_lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    comments = {token.start[0]: token.start[1] for token in tokenize.generate_tokens(io.StringIO(source).readline)
                if token.type == tokenize.COMMENT}
    kept = []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in docstring_lines:
            continue
        line = line[:comments[number]] if number in comments else line
        if line.strip():
            kept.append(line.rstrip())
    return "\n".join(kept)


def code_hash(script: Path, package_dir: Path = PACKAGE_DIR) -> str:
    """A short hash of the library code that decides ``script``'s output: changes when the code
    (not a comment or docstring) of any such module it runs changes."""
    digest = hashlib.sha256()
    for name in sorted(imported_modules(Path(script), package_dir) - INFRASTRUCTURE):
        digest.update(name.encode() + b"\0" + code_only(module_file(name, package_dir).read_text()).encode())
    return digest.hexdigest()[:12]
