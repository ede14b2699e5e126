# cnnstudy: reproduce, measure and extend a CNN architecture study on MNIST.
# Three wildcards carry the DAG: {dataset}, {variant}, {seed}; everything else is config.

import os

from snakemake.utils import min_version

min_version("9.17")  # the oldest Snakemake CI runs (.ci/run): the .test config end to end


# config/config.yaml of the working directory (a deployed copy's own, or .test/ with --directory),
# else the default beside this Snakefile, from any folder; --configfile overlays it.
CONFIG_FILE = "config/config.yaml"
if not os.path.exists(CONFIG_FILE):
    CONFIG_FILE = os.path.join(workflow.basedir, CONFIG_FILE)


configfile: CONFIG_FILE


include: "rules/common.smk"


report: landing_page()  # the verdicts of the last run first; the static description before any run


wildcard_constraints:
    dataset=alternatives(config["datasets"]),
    variant=alternatives(VARIANTS),
    model=alternatives(AUDIT_MODELS),
    distortion=alternatives(DISTORTIONS),
    seed=r"\d+",


# Light jobs run on the submitting host, also under a cluster executor: the aggregates and
# figures take seconds (rules/data.smk and rules/bundle.smk name theirs).
localrules:
    all,
    audit_summary,
    summarise_runs,
    judge_claims,
    figure_accuracy,
    figure_cost,
    figure_learning_curves,
    figure_errors,
    landing_page,


include: "rules/audit.smk"
include: "rules/bundle.smk"


if not BUNDLE:  # with run.bundle, the runs' results come from it (rules/bundle.smk)

    include: "rules/data.smk"
    include: "rules/train.smk"
    include: "rules/evaluate.smk"


include: "rules/compare.smk"


onstart:
    stop_if_read_only(["results", "resume", "logs"])
    stop_if_library_differs()


rule all:
    """Everything the config asks for: data, audits, every run, the comparison and the landing page."""
    default_target: True
    input:
        data_targets(),
        audit_targets(),
        run_targets(),
        compare_targets(),
