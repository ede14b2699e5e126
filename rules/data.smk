# Data stage: prepared splits (train, validation carved from it, test) with provenance, and elastically distorted training copies.


# on the submitting host under a cluster executor: preparing data may download (compute nodes often have no internet)
localrules:
    prepare_data,


rule prepare_data:
    """Read a dataset's source and write its train, validation and test splits with their checksums."""
    output:
        train="results/{dataset}/data/train.npz",
        validation="results/{dataset}/data/validation.npz",
        test="results/{dataset}/data/test.npz",
        summary_csv="results/{dataset}/data/summary.csv",
        summary=report(
            "results/{dataset}/data/summary.html",
            caption="../report/data_summary.rst",
            category="Data",
            labels={"dataset": "{dataset}", "item": "splits and class counts"},
        ),
    log:
        "logs/{dataset}/prepare_data.log",
    benchmark:
        "logs/{dataset}/prepare_data_benchmark.tsv"
    priority: 10  # every training waits for it
    conda:
        "../envs/cnnstudy.yaml"
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(30),
    params:
        spec=lambda wildcards: config["datasets"][wildcards.dataset],
        code=library_code("prepare_data.py"),
    script:
        "../scripts/prepare_data.py"


rule distort:
    """Write the elastically distorted copies of a training split, and a preview."""
    input:
        "results/{dataset}/data/train.npz",
    output:
        copies="results/{dataset}/data/distorted/{distortion}.npz",
        preview=report(
            "results/{dataset}/data/distorted/{distortion}_preview.png",
            caption="../report/distortion_preview.rst",
            category="Data",
            labels={"dataset": "{dataset}", "item": "distortion {distortion}"},
        ),
    log:
        "logs/{dataset}/distort_{distortion}.log",
    benchmark:
        "logs/{dataset}/distort_{distortion}_benchmark.tsv"
    priority: 10  # the elastic budget run, the longest job, waits for it
    conda:
        "../envs/cnnstudy.yaml"
    resources:
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        spec=lambda wildcards: config["distortions"][wildcards.distortion],
        code=library_code("distort.py"),
    script:
        "../scripts/distort.py"
