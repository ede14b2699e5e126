"""The rerun hash: the code that decides a result, not its comments, docstrings or infrastructure."""

import shutil
from pathlib import Path

import pytest

from cnnstudy.codehash import INFRASTRUCTURE, code_hash, code_only, imported_modules

ROOT = Path(__file__).parents[1]
SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))


@pytest.fixture
def library(tmp_path):
    """A copy of the package to edit."""
    return Path(shutil.copytree(ROOT / "src" / "cnnstudy", tmp_path / "cnnstudy"))


def hashes(library):
    return {script.name: code_hash(script, library) for script in SCRIPTS}


def test_comments_docstrings_and_blank_lines_change_no_hash(library):
    before = hashes(library)
    for module in sorted(library.glob("*.py")):
        text = module.read_text()
        edited = text.replace('"""', '"""Reworded. ', 1) + "\n\n# a comment\n"
        module.write_text(edited)
        assert hashes(library) == before, f"a comment or docstring in {module.name} changed a hash"
        module.write_text(text)


def test_a_code_edit_changes_the_hash_of_exactly_the_scripts_that_run_it(library):
    before = hashes(library)
    for module in sorted(library.glob("*.py")):
        name = "cnnstudy" if module.stem == "__init__" else f"cnnstudy.{module.stem}"
        text = module.read_text()
        module.write_text(text + "\n_EDITED = 1\n")
        changed = {script for script, value in hashes(library).items() if value != before[script]}
        module.write_text(text)
        expected = set() if name in INFRASTRUCTURE else {
            script.name for script in SCRIPTS if name in imported_modules(script, library)}
        assert changed == expected, f"editing {module.name}: {sorted(changed)} changed, expected {sorted(expected)}"


def test_infrastructure_is_left_out_and_not_followed():
    """Every script imports the job plumbing; none of its imports reach a script's hash through it."""
    train = imported_modules(ROOT / "scripts" / "train.py")
    assert "cnnstudy.jobs" in train and "cnnstudy.models" in train and "cnnstudy.train" in train
    figure = imported_modules(ROOT / "scripts" / "figure_accuracy.py")
    assert "cnnstudy.runtime" not in figure  # reached only through jobs (its start_torch), which is not followed
    assert code_hash(ROOT / "scripts" / "train.py") != code_hash(ROOT / "scripts" / "figure_accuracy.py")


def test_code_only_keeps_strings_that_are_not_docstrings():
    source = 'def f():\n    """Why."""\n    x = "# not a comment"  # a comment\n\n    return x\n'
    assert code_only(source) == 'def f():\n    x = "# not a comment"\n    return x'
