# Evaluation: test metrics, per-sample predictions (for the paired tests) and inference speed.


rule evaluate:
    """Score one trained run on the test split: metrics, per-digit predictions, inference speed."""
    input:
        checkpoint=run_file("model.pt"),
        test="results/{dataset}/data/test.npz",
    output:
        metrics=run_file("metrics.json"),
        predictions=run_file("predictions.csv"),
        speed=run_file("speed.json"),
    log:
        run_file("evaluate.log"),
    benchmark:
        run_file("evaluate_benchmark.tsv")
    group:
        "run"  # one cluster submission per run: its training, then its evaluation (profiles/slurm)
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
        evaluation=config["evaluation"],
        device=lambda wildcards: variant_training(config, wildcards.variant)["device"],
        precision=lambda wildcards: variant_training(config, wildcards.variant)["precision"],
        code=library_code("evaluate.py"),
    script:
        "../scripts/evaluate.py"
