# Training: one job per {dataset}/{variant}/seed{seed}. The per-epoch resume state lives in
# resume/, which is not an output, so a failed or killed job does not lose it.


rule train:
    input:
        unpack(train_inputs),
    output:
        checkpoint=run_file("model.pt"),
        history=run_file("history.csv"),
    params:
        model=lambda wildcards: config["variants"][wildcards.variant]["model"],
        training=training_params,
        code=library_code("train.py"),
        resume="resume/{dataset}/{variant}/seed{seed}.pt",
    threads: training_resource("threads")
    resources:
        mem_mb=training_resource("mem_mb"),
        runtime=training_resource("runtime"),
        gpu=uses_gpu,
    log:
        run_file("train.log"),
    conda:
        "../envs/cnnstudy.yaml"
    script:
        "../scripts/train.py"
