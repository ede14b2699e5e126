"""Train one variant for one seed; write the checkpoint and the per-epoch history."""

from pathlib import Path

from cnnstudy.jobs import job
from cnnstudy.trainjob import run_training_job

params, inputs, outputs, wildcards = snakemake.params, snakemake.input, snakemake.output, snakemake.wildcards
resources = snakemake.resources  # how the job runs, not what it computes: changing them reruns nothing
# the declared thread count, not the cores Snakemake grants: threads change the weights
with job(snakemake.log[0], params.code, params.training["threads"], gpu=resources.gpu > 0,
         jobs_per_gpu=resources.jobs_per_gpu, granted=snakemake.threads) as log:
    run_training_job(
        run={"dataset": wildcards.dataset, "variant": wildcards.variant, "seed": int(params.seed)},
        spec=dict(params.model), training=dict(params.training),
        train_file=Path(inputs.train), validation_file=Path(inputs.validation),
        distorted_file=Path(inputs.distorted) if "distorted" in inputs.keys() else None,
        checkpoint_file=Path(outputs.checkpoint), history_file=Path(outputs.history),
        resume_file=Path(params.resume), code=params.code, log=log, progress_stream=log.stream,
        snapshot_folder=Path(outputs.checkpoint).parent / "epochs" if resources.snapshots else None,
        tensorboard_folder=Path(outputs.checkpoint).parent / "tensorboard" if resources.tensorboard else None,
    )
