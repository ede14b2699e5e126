# Training: one job per {dataset}/{variant}/seed{seed}, and the budget check (the first seed with twice the
# epochs, scored against every seed on the validation split). The per-epoch resume state lives in
# resume/, which is not an output, so a failed or killed job does not lose it.


rule train:
    """Train one variant for one seed: checkpoint and per-epoch history."""
    input:
        unpack(train_inputs),
    output:
        checkpoint=run_file("model.pt"),
        history=run_file("history.csv"),
    log:
        run_file("train.log"),
    benchmark:
        run_file("train_benchmark.tsv")
    group:
        "run"  # one cluster submission per run: its training, then its evaluation (profiles/slurm)
    conda:
        "../envs/cnnstudy.yaml"
    threads: training_resource("threads")
    resources:
        mem_mb=per_attempt(training_resource("mem_mb")),
        runtime=per_attempt(training_resource("runtime")),
        gpu=uses_gpu,
        jobs_per_gpu=training_resource("jobs_per_gpu"),
        snapshots=lambda wildcards: int(training_resource("snapshots")(wildcards)),
        tensorboard=lambda wildcards: int(training_resource("tensorboard")(wildcards)),
    params:
        model=lambda wildcards: config["variants"][wildcards.variant]["model"],
        training=training_params,
        code=library_code("train.py"),
        resume="resume/{dataset}/{variant}/seed{seed}.pt",
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../scripts/train.py"


# The longest jobs of a run: started first, so that no core idles at the end waiting for one.
use rule train as train_budget with:
    """Train a variant's first seed with twice the epochs: the budget check's long run."""
    output:
        checkpoint=budget_file("model.pt"),
        history=budget_file("history.csv"),
    log:
        budget_file("train.log"),
    benchmark:
        budget_file("train_benchmark.tsv")
    priority: 10
    resources:
        mem_mb=per_attempt(training_resource("mem_mb")),
        runtime=per_attempt(lambda wildcards: 2 * training_resource("runtime")(wildcards)),
        gpu=uses_gpu,
        jobs_per_gpu=training_resource("jobs_per_gpu"),
        snapshots=lambda wildcards: int(training_resource("snapshots")(wildcards)),
        tensorboard=lambda wildcards: int(training_resource("tensorboard")(wildcards)),
    params:
        model=lambda wildcards: config["variants"][wildcards.variant]["model"],
        training=lambda wildcards: {**training_params(wildcards), "epochs": 2 * training_params(wildcards)["epochs"]},
        code=library_code("train.py"),
        resume="resume/{dataset}/{variant}/budget.pt",
        seed=first_seed,


rule budget_check:
    """Score every seed's run and the twice-as-long one on the validation split: was the variant trained far enough?"""
    input:
        base=seed_runs("model.pt"),
        long=budget_file("model.pt"),
        validation="results/{dataset}/data/validation.npz",
    output:
        budget_file("check.json"),
    log:
        budget_file("check.log"),
    conda:
        "../envs/cnnstudy.yaml"
    threads: config["evaluation"]["threads"]
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
        gpu=uses_gpu,
        jobs_per_gpu=training_resource("jobs_per_gpu"),
    params:
        model=lambda wildcards: config["variants"][wildcards.variant]["model"],
        batch_size=config["evaluation"]["batch_size"],
        device=lambda wildcards: variant_training(config, wildcards.variant)["device"],
        precision=lambda wildcards: variant_training(config, wildcards.variant)["precision"],
        delta=config["stats"]["relevant_difference"],
        threads=config["evaluation"]["threads"],
        code=library_code("budget_check.py"),
    script:
        "../scripts/budget_check.py"
