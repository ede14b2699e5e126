"""The repository's promises: README commands, CI, documented config, a clean lint."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_the_config_reference_is_the_one_rendered_from_the_schema():
    from cnnstudy.configdoc import render

    schema = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text()
    assert render(readme, schema) == readme, "config/README.md differs from the schema: python -m cnnstudy.configdoc"
    # every key of the schema has a row: the renderer refuses a key without a description
    keys = set(schema_keys(schema)) | set(schema_keys(schema["$defs"]["training"]))
    named = set(re.findall(r"^\| `(?:[\w<>]+\.)*([\w<>]+)` \|", readme, re.M))
    assert sorted(keys - named - {"run", "datasets", "distortions", "training", "evaluation", "audit", "variants",
                                  "stats", "convergence", "comparisons", "claims", "cap", "separable_sweep",
                                  "speed"}) == []


def test_the_readmes_decision_table_is_the_one_the_code_applies():
    from cnnstudy.decision import readme_with_table

    readme = (ROOT / "README.md").read_text()
    assert readme_with_table(readme) == readme, "README.md's decision table differs: python -m cnnstudy.decision"
    assert "| -d < L <= 0, 0 <= H < +d | within the margin both ways | refuted | refuted | supported |" in readme


def test_a_changed_default_or_a_hand_edit_shows():
    from cnnstudy.configdoc import render

    schema = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text()
    schema["properties"]["training"]["properties"]["epochs"]["default"] = 7
    assert "| `epochs` | `7` | passes over the training split |" in render(readme, schema)
    edited = readme.replace("| `epochs` | `2` |", "| `epochs` | `3` |")
    assert edited != readme and render(edited, yaml.safe_load((ROOT / "config" / "schema.yaml").read_text())) == readme


def test_snakemake_lint_is_clean():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Congratulations" in result.stdout + result.stderr


# What a Python holding Snakemake alone lacks: an import of any of these fails. (numpy and pandas
# stay: the executor plugins the test extra installs import them when Snakemake starts.)
NOT_IN_A_SNAKEMAKE_ONLY_PYTHON = ("cnnstudy", "torch", "torchvision", "scipy", "matplotlib", "thop", "mlxtend", "tqdm")


def snakemake_alone(tmp_path: Path) -> dict[str, str]:
    """An environment in which the library and the science stack do not import, as in a venv
    holding Snakemake alone (the one the workflow catalog lints in)."""
    import os

    shadow = tmp_path / "shadow"
    for name in NOT_IN_A_SNAKEMAKE_ONLY_PYTHON:
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(f"raise ImportError('No module named {name}')\n")
    return dict(os.environ, PYTHONPATH=str(shadow))


def test_lint_and_dry_run_need_snakemake_alone(tmp_path):
    """Parsing uses the workflow's own src/, which imports no torch, numpy or pandas; only jobs
    need the library installed (checked before the first job runs)."""
    env = snakemake_alone(tmp_path)
    lint = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stderr[-3000:]
    dry = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--quiet", "rules"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env=env)
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert re.search(r"(?m)^train\s+\d+", dry.stdout + dry.stderr), dry.stdout[-2000:]


def test_every_rule_says_what_it_does():
    """`snakemake --list-rules` shows each rule's docstring."""
    from conftest import rule_blocks

    blocks = [block for smk in [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]
              for block in rule_blocks(smk.read_text())]
    undocumented = [block.splitlines()[0] for block in blocks if not re.match(r'.*\n    """\S', block)]
    assert len(blocks) >= 20 and undocumented == []
    listed = subprocess.run([sys.executable, "-m", "snakemake", "--list-rules"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert "Count one model's parameters and MACs" in listed.stdout, listed.stdout[-2000:]


def rule_params_and_scripts():
    """(rule, param names, script text) of every rule with a script."""
    from conftest import rules_with_scripts

    for rule, block, script in rules_with_scripts(ROOT):
        params = re.search(r"(?m)^    params:\n((?:        .*\n)+)", block)
        names = re.findall(r"(?m)^        (\w+)=", params.group(1)) if params else []
        yield rule, names, script.read_text()


def test_every_rule_param_is_read_by_its_script():
    # `code` too: the job checks the library it imports against it (cnnstudy.jobs.check_library)
    unread = [(rule, name) for rule, names, script in rule_params_and_scripts() for name in names
              if not re.search(rf"params\.{name}\b|params\[[\"']{name}[\"']\]", script)]
    assert unread == []
    assert len(list(rule_params_and_scripts())) >= 13


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["snakefmt", "--check", "."]])
def test_code_style_is_clean(command):
    result = subprocess.run([sys.executable, "-m", *command] if command[0] == "ruff" else
                            [str(Path(sys.executable).parent / command[0]), *command[1:]],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_conda_env_lists_every_dependency_of_the_library():
    """Jobs under --sdm conda import the library's dependencies from envs/cnnstudy.yaml; Snakemake
    itself comes from the main process (it appends that sys.path to every script job)."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    def name(requirement: str) -> str:
        return canonicalize_name(Requirement(requirement).name)

    env = yaml.safe_load((ROOT / "envs" / "cnnstudy.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    needed = {name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert needed - {"snakemake"} - {name(r) for r in pip} == set()


def test_the_conda_post_deploy_script_installs_the_workflows_own_library(tmp_path):
    """Snakemake runs envs/cnnstudy.post-deploy.sh inside a new conda env, from a copy under
    .snakemake/conda. No conda installs from the package registries here, so a fresh venv on PATH
    stands in for the activated env (pip and setuptools lent from this interpreter's site-packages,
    after its own); the script must put this workflow's library into it."""
    import os
    import shutil
    import sysconfig

    import pip

    from conftest import copy_workflow

    workflow = copy_workflow(tmp_path / "workflow")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, workflow / name)
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=300)
    own = Path(sysconfig.get_path("purelib", vars={"base": str(env), "platbase": str(env)}))
    (own / "zz-lent-tools.pth").write_text(f"import site; site.addsitedir({str(Path(pip.__file__).parents[1])!r})\n")
    deployed = tmp_path / "conda" / "0123abcd.post-deploy.sh"  # where Snakemake copies it
    deployed.parent.mkdir()
    shutil.copy2(workflow / "envs" / "cnnstudy.post-deploy.sh", deployed)
    activated = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CNNSTUDY_WORKFLOW")}
    activated["PATH"] = f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}"

    refused = subprocess.run(["bash", str(deployed)], cwd=tmp_path, capture_output=True, text=True, env=activated)
    assert refused.returncode == 1 and refused.stderr.splitlines() == [
        "cnnstudy post-deploy: CNNSTUDY_WORKFLOW='' is not the workflow's folder (it holds pyproject.toml)"]

    result = subprocess.run(["bash", str(deployed)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env=dict(activated, CNNSTUDY_WORKFLOW=str(workflow)))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    found = subprocess.run([str(env / "bin" / "python"), "-c", "import cnnstudy; print(cnnstudy.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=True, env=activated)
    assert Path(found.stdout.strip()) == workflow / "src" / "cnnstudy" / "__init__.py"


def readme_commands() -> list[str]:
    """Every command the README shows: inline code and the lines of its code blocks (split at &&)."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    commands = [part.strip() for block in blocks for line in block.splitlines() for part in line.split("&&")]
    return sorted({command for command in commands + spans
                   if re.match(r"(\.venv/bin/)?(snakemake|python|bash) ", command) or command == "snakemake -n"})


@pytest.mark.workflow
def test_every_readme_command_runs(rerun_copy, tmp_path):
    """Snakemake commands dry-run (-n) in a fresh copy of the workflow, report commands build a
    report from a finished tiny run, scripts answer --help; commands with a <placeholder>, the
    generators (checked against their outputs elsewhere) and CI itself are left out."""
    import shlex

    from conftest import copy_workflow, run_snakemake

    fresh = copy_workflow(tmp_path / "fresh")
    (fresh / "my-gpu.yaml").write_text("training: {device: cuda}\n")
    commands = readme_commands()
    assert len(commands) >= 20, commands
    ran = []
    for command in commands:
        if "<" in command or "cnnstudy.configdoc" in command or "cnnstudy.decision" in command or ".ci/run" in command:
            continue
        words = shlex.split(command.replace(".venv/bin/", ""))
        if words[0] == "snakemake":
            arguments = [str(word) for word in words[1:]]
            if "$(printf" in command:  # the shell expands the targets
                arguments = shlex.split(subprocess.run(["bash", "-c", f"echo {command[len('snakemake '):]}"],
                                                       capture_output=True, text=True, check=True).stdout)
            if "--report" in arguments:
                run_snakemake(rerun_copy, *arguments)
                assert (rerun_copy / arguments[arguments.index("--report") + 1]).stat().st_size > 100_000
            elif arguments in (["--unlock"], ["--lint"]):
                run_snakemake(fresh, *arguments)
            else:
                run_snakemake(fresh, *arguments, *([] if "-n" in arguments else ["-n"]))
        elif words[0] == "python" and words[1].startswith("benchmarks/"):
            subprocess.run([sys.executable, str(ROOT / words[1]), "--help"], capture_output=True, check=True)
        elif words[0] == "bash":
            subprocess.run(["bash", "-n", str(ROOT / words[1])], check=True)  # gpu_check/gpu_study: tests of their own
        elif words[0] == "python" and words[1:3] == ["-m", "venv"]:
            continue  # the quick start's install: CI runs it
        elif words[0] == "python" and words[1:3] == ["-m", "pytest"]:
            continue
        else:
            raise AssertionError(f"a README command this test does not know how to run: {command}")
        ran.append(command)
    assert len(ran) >= 16, ran
