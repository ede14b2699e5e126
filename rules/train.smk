# Training: one job per {dataset}/{variant}/seed{seed}. The per-epoch resume state lives in
# resume/, which is not an output, so a failed or killed job does not lose it.


rule train:
    input:
        unpack(train_inputs),
    output:
        checkpoint=run_file("model.pt"),
        history=run_file("history.csv"),
    log:
        run_file("train.log"),
    benchmark:
        run_file("train_benchmark.tsv")
    conda:
        "../envs/cnnstudy.yaml"
    threads: training_resource("threads")
    resources:
        mem_mb=per_attempt(training_resource("mem_mb")),
        runtime=per_attempt(training_resource("runtime")),
        gpu=uses_gpu,
    params:
        model=lambda wildcards: config["variants"][wildcards.variant]["model"],
        training=training_params,
        code=library_code("train.py"),
        resume="resume/{dataset}/{variant}/seed{seed}.pt",
    script:
        "../scripts/train.py"
