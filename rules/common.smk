# Helpers: config validation, wildcard constraints, paths, target lists and input functions.

import errno
import functools
import os
import re
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError

# The workflow's own folder, also when another project includes it as a module (workflow.basedir
# is then that project's folder): its scripts, schema and library source (src/) live here. A
# module from a URL (github(...), http) has no folder: Snakemake's source cache serves its files
# (workflow.source_path) and the library is the one installed in the environment.
REMOTE = "://" in str(workflow.current_basedir)
ROOT = None if REMOTE else Path(str(workflow.current_basedir)).parent

# Parsing (config checks, the DAG, a dry-run, --lint) uses the workflow's own src/, which needs no
# torch, so Snakemake alone suffices. The jobs import the library of their environment: the README's
# venv (pip install -e .) or, with --sdm conda, envs/cnnstudy.yaml, whose post-deploy script installs
# this folder; onstart checks it before any job (stop_if_library_differs).
if REMOTE:
    try:
        import cnnstudy
    except ImportError:
        print(
            f"cnnstudy: this workflow, used as a module from {workflow.current_basedir}, needs its library in this "
            f"Python ({sys.executable}): pip install the same release (docs/deployment.md, As a module)",
            file=sys.stderr,
        )
        sys.exit(1)
    LIBRARY = Path(cnnstudy.__file__).parent
else:
    LIBRARY = ROOT / "src" / "cnnstudy"
    sys.path.insert(0, str(ROOT / "src"))
    # Set, not read (so no `envvars:`): the conda env's post-deploy script installs the library from here.
    os.environ.update(CNNSTUDY_WORKFLOW=str(ROOT))

import yaml
from snakemake.utils import validate

from cnnstudy.config import (
    NON_RESULT_KEYS,
    audit_specs,
    budget_variants,
    check_config,
    check_numbers,
    comparison_pairs,
    schema_error,
    trained_variants,
    variant_seeds,
    variant_training,
)
from cnnstudy.codehash import code_hash
from cnnstudy.errors import ConfigError, EnvironmentMismatch
from cnnstudy.files import first_read_only_folder
from cnnstudy.jobs import check_environment, fail


def validate_config(config):
    """Numbers a JSON schema lets through (NaN, 2.0 as an integer), the schema (with defaults),
    then cross-references; one line that names the key."""
    try:
        check_numbers(config, yaml.safe_load(Path(workflow.source_path("../config/schema.yaml")).read_text()))
        validate(config, "../config/schema.yaml")
        check_config(config)
    except ConfigError as error:
        fail(None, ConfigError(f"config key {error}"))
    except WorkflowError as error:
        cause = error.__cause__ or error.__context__  # the jsonschema ValidationError
        if not hasattr(cause, "absolute_path"):
            raise
        fail(None, ConfigError(f"config key {schema_error(cause)}"))


validate_config(config)

DATASETS = config["run"]["datasets"]
VARIANTS = list(config["variants"])
TRAINED = trained_variants(config)
DISTORTIONS = list(config["distortions"])
AUDIT_MODELS = list(audit_specs(config))
BUNDLE = config["run"]["bundle"]  # a bundle of results made elsewhere: restore it, train nothing
BUNDLE_ARCHIVE = "results/bundle.tar.gz"


def stop_if_read_only(roots):
    """Before the first job: a read-only output folder is one line, not Snakemake's traceback."""
    folder = first_read_only_folder([Path(root) for root in roots])
    if folder is not None:
        fail(
            None, PermissionError(errno.EACCES, "Permission denied (a read-only folder the run writes to)", str(folder))
        )


def stop_if_library_differs():
    """Before the first job, since Snakemake deletes a job's old outputs when it starts it: the
    jobs' Python (this one) must import a library that runs the workflow's own src/ code (the
    check every job makes again). Under --sdm conda the jobs import their env's copy, which they
    check themselves."""
    from snakemake.settings.types import DeploymentMethod

    if REMOTE or DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
        return  # from a URL, parsing already used the environment's library
    scripts = sorted((ROOT / "scripts").glob("*.py"))
    try:
        check_environment(sys.executable, {script: library_code(script.name) for script in scripts}, ROOT)
    except EnvironmentMismatch as error:
        fail(None, error)


def alternatives(names):
    """A regex that matches exactly one of the names (longest first)."""
    names = sorted(names, key=len, reverse=True)
    return "|".join(re.escape(name) for name in names) if names else "(?!)"


@functools.cache
def library_code(script):
    """Hash of the library modules a script imports (transitively): in params, so that editing
    any of them reruns the step; Snakemake's own code trigger sees only the script."""
    return code_hash(Path(workflow.source_path(f"../scripts/{script}")), LIBRARY)


RUN_FILE = "results/{dataset}/{variant}/seed{seed}/{name}"
BUDGET_FILE = "results/{dataset}/{variant}/budget/{name}"
COMPARE_FILE = "results/{dataset}/compare/{name}"
LANDING_PAGE = "results/report/workflow.rst"
# the static description, from any working directory (relative, so that a moved or copied checkout reruns nothing)
# (source_path copies even a local file to a cache folder that differs per run: local checkouts use ROOT)
LANDING_TEMPLATE = os.path.relpath(
    workflow.source_path("../report/workflow.rst") if REMOTE else ROOT / "report" / "workflow.rst"
)


def run_file(name, dataset="{dataset}", variant="{variant}", seed="{seed}"):
    """Path of a file of one (dataset, variant, seed) run; wildcards stay as patterns."""
    return RUN_FILE.format(dataset=dataset, variant=variant, seed=seed, name=name)


def budget_file(name):
    """Path of a file of a variant's budget check (its first seed trained with twice the epochs)."""
    return BUDGET_FILE.replace("{name}", name)


def compare_file(name, dataset="{dataset}"):
    return COMPARE_FILE.format(dataset=dataset, name=name)


def data_targets():
    if BUNDLE:  # the splits stay where the trainings ran; the bundle brings the report's data items
        return [m for m in bundle_members() if m.endswith((".html", ".png"))]
    targets = []
    for dataset in DATASETS:
        targets += expand(
            "results/{dataset}/data/{name}",
            dataset=dataset,
            name=["train.npz", "validation.npz", "test.npz", "summary.html"],
        )
        targets += expand(
            "results/{dataset}/data/distorted/{distortion}{suffix}",
            dataset=dataset,
            distortion=DISTORTIONS,
            suffix=[".npz", "_preview.png"],
        )
    return targets


def audit_targets():
    return expand("results/audit/{model}/layers.html", model=AUDIT_MODELS) + [
        "results/audit/summary.html",
        "results/audit/separable/sweep.html",
        "results/audit/separable/sweep.png",
        SPEED_TIMINGS_HTML,
    ]


def run_targets():
    return [run_file("metrics.json", dataset, variant, seed) for dataset in DATASETS for variant, seed in RUNS]


COMPARE_FILES = [
    "summary.html",
    "runs.html",
    "significance.html",
    "claims.html",
    "headline.html",
    "accuracy.png",
    "accuracy_vs_cost.png",
    "learning_curves.png",
    "confusion_best.png",
    "misclassified.png",
]


def compare_targets():
    return expand(COMPARE_FILE, dataset=DATASETS, name=COMPARE_FILES) + [LANDING_PAGE]


def landing_page():
    """The report's first screen: the one a run wrote (its verdicts first) once there is one."""
    written = Path(LANDING_PAGE)
    return str(written.resolve()) if written.exists() else LANDING_TEMPLATE


# Every (variant, seed) run of a dataset, each variant with its own seeds (variants.<name>.seeds,
# else run.seeds), in the order of per_run's file lists: the comparison scripts get it as
# params.runs and pair each file with its run, never parsing paths.
RUNS = [[variant, seed] for variant in TRAINED for seed in variant_seeds(config, variant)]


def per_run(name):
    """Input function: one file of every run of the wildcard's dataset, in the order of RUNS."""

    def files(wildcards):
        return [run_file(name, wildcards.dataset, variant, seed) for variant, seed in RUNS]

    return files


def train_inputs(wildcards):
    inputs = {
        "train": f"results/{wildcards.dataset}/data/train.npz",
        "validation": f"results/{wildcards.dataset}/data/validation.npz",
    }
    data = config["variants"][wildcards.variant]["train_data"]
    if data != "clean":
        inputs["distorted"] = f"results/{wildcards.dataset}/data/distorted/{data}.npz"
    return inputs


def training_params(wildcards):
    """The training settings that change a run's output (resources excluded)."""
    settings = variant_training(config, wildcards.variant)
    return {key: value for key, value in settings.items() if key not in NON_RESULT_KEYS}


def training_resource(key):
    return lambda wildcards: variant_training(config, wildcards.variant)[key]


def per_attempt(amount):
    """A resource that grows with each retry (attempt 1, 2, ...): a job killed for memory or
    time gets more the next time. ``amount``: a number or a function of the wildcards.
    """
    return lambda wildcards, attempt: (amount(wildcards) if callable(amount) else amount) * attempt


def uses_gpu(wildcards):
    return int(variant_training(config, wildcards.variant)["device"].startswith("cuda"))


def training_plans():
    """Epochs, training digits and seeds of every variant, for the cost of those a run does not train."""
    return {
        name: {
            **{key: variant_training(config, name)[key] for key in ("epochs", "train_images")},
            "seeds": len(variant_seeds(config, name)),
        }
        for name in VARIANTS
    }


def first_seed(wildcards):
    """The seed of a variant's budget run: its first."""
    return variant_seeds(config, wildcards.variant)[0]


def seed_runs(name):
    """Input function: one file of every seed's run of the wildcards' variant."""
    return lambda wildcards: [
        run_file(name, wildcards.dataset, wildcards.variant, seed) for seed in variant_seeds(config, wildcards.variant)
    ]


def report_variants():
    """What the comparison shows of each variant besides its runs."""
    return {
        name: {
            "reported_accuracy": v["reported_accuracy"],
            "description": v["description"],
        }
        for name, v in config["variants"].items()
    }


def budget_checks(wildcards):
    """Input function: the budget check of every variant whose accuracy decides a claim."""
    return [
        BUDGET_FILE.format(dataset=wildcards.dataset, variant=v, name="check.json") for v in budget_variants(config)
    ]


SPEED_TIMINGS_HTML = "results/audit/speed/timings.html"


def speed_report_item():
    """The speed audit's table in the report, made here (speed_audit) or restored (unbundle)."""
    return report(
        SPEED_TIMINGS_HTML,
        caption="../report/speed_audit.rst",
        category="Audit",
        subcategory="Speed",
        labels={"model": "every variant", "item": "speed"},
    )


# The report's data items in a bundle, as the data rules label them.
BUNDLED_REPORT_ITEMS = {
    "summary.html": ("../report/bundled_data_summary.rst", "splits and class counts"),
    "_preview.png": ("../report/bundled_distortion_preview.rst", "distortion {}"),
}


def bundle_members():
    """The files a report is built from, without checkpoints: every run's metrics, predictions,
    speed and history, the budget checks, the test split and data summaries, the speed audit."""
    members = []
    for dataset in DATASETS:
        for variant, seed in RUNS:
            members += [
                run_file(name, dataset, variant, seed)
                for name in ("metrics.json", "predictions.csv", "speed.json", "history.csv")
            ]
        members += [BUDGET_FILE.format(dataset=dataset, variant=v, name="check.json") for v in budget_variants(config)]
        members += [f"results/{dataset}/data/{name}" for name in ("test.npz", "summary.csv", "summary.html")]
        members += [f"results/{dataset}/data/distorted/{d}_preview.png" for d in DISTORTIONS]
    return members + ["results/audit/speed/timings.csv", SPEED_TIMINGS_HTML]


def bundle_manifest():
    """What the bundled results were made with, checked where the report is built: the split of
    each dataset and every trained variant's model, data and result-changing training settings."""
    split_keys = ("source", "test_split", "test_size", "validation_fraction", "split_seed", "cap")
    return {
        "datasets": {name: {k: config["datasets"][name].get(k) for k in split_keys} for name in DATASETS},
        "distortions": {name: config["distortions"][name] for name in DISTORTIONS},
        "variants": {
            name: {
                "model": config["variants"][name]["model"],
                "train_data": config["variants"][name]["train_data"],
                "training": {k: v for k, v in variant_training(config, name).items() if k not in NON_RESULT_KEYS},
            }
            for name in TRAINED
        },
        "speed_audit": config["audit"]["speed"],
    }


def check_bundle():
    """Before any job: the bundle exists and was made with this config's settings (one line if not)."""
    from cnnstudy.bundle import check_manifest, read_manifest
    from cnnstudy.errors import DataError

    try:
        check_manifest(BUNDLE, read_manifest(BUNDLE), bundle_manifest(), bundle_members())
    except DataError as error:
        fail(None, ConfigError(f"config key run.bundle: {error}"))


if BUNDLE:
    check_bundle()


def bundled_output(member):
    """A bundle member as an output: the data summaries and previews stay report items."""
    for ending, (caption, item) in BUNDLED_REPORT_ITEMS.items():
        if member.endswith(ending):
            dataset = member.split("/")[1]
            name = Path(member).name.removesuffix("_preview.png")
            return report(
                member, caption=caption, category="Data", labels={"dataset": dataset, "item": item.format(name)}
            )
    if member == SPEED_TIMINGS_HTML:
        return speed_report_item()
    return member
