# cnnstudy: reproduce, measure and extend a CNN architecture study on MNIST.
# Three wildcards carry the DAG: {dataset}, {variant}, {seed}; everything else is config.

from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"


wildcard_constraints:
    dataset=alternatives(config["datasets"]),
    variant=alternatives(VARIANTS),
    model=alternatives(AUDIT_MODELS),
    distortion=alternatives(DISTORTIONS),
    seed=r"\d+",


include: "rules/data.smk"
include: "rules/audit.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/compare.smk"


onstart:
    stop_if_read_only(["results", "resume", "logs"])


rule all:
    input:
        data_targets(),
        audit_targets(),
        run_targets(),
        compare_targets(),
    default_target: True
