"""The repository's promises: README commands, CI, documented config, a clean lint."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- test-command -->\n```\n(.+?)\n```", text)
    assert match, "README.md lacks a test command block"
    return match.group(1)


def test_ci_runs_the_readme_test_command():
    command = readme_test_command()
    extracted = subprocess.run(
        ["awk", "/<!-- test-command -->/{found=1; next} found && /^```/{if (inside) exit; inside=1; next} inside",
         "README.md"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert extracted == command
    assert "pytest" in command and "python3 -m venv .venv" in command
    assert 'bash -euo pipefail -c "$test_command"' in (ROOT / ".ci" / "run").read_text()


def test_quick_start_runs_the_study_and_the_report():
    text = (ROOT / "README.md").read_text()
    assert "snakemake --cores all && .venv/bin/snakemake --report report.html" in text


def schema_keys(schema, prefix=""):
    for key, sub in schema.get("properties", {}).items():
        yield key
        yield from schema_keys(sub, f"{prefix}{key}.")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from schema_keys(schema["additionalProperties"], prefix)


def test_every_config_key_is_documented():
    schema = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())
    documented = (ROOT / "config" / "README.md").read_text()
    keys = set(schema_keys(schema)) | set(schema_keys(schema["$defs"]["training"]))
    spans = re.findall(r"`([^`]+)`", documented)
    named = {part for span in spans for part in re.split(r"[.\s]", span)}
    missing = sorted(key for key in keys if key not in named)
    assert missing == []


def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Congratulations" in result.stdout + result.stderr
