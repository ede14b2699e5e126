"""Train one variant for one seed; write the checkpoint and the per-epoch history."""

from pathlib import Path

import pandas as pd

from cnnstudy.checkpoint import save_checkpoint
from cnnstudy.config import variant_training
from cnnstudy.files import atomic_path
from cnnstudy.jobs import job
from cnnstudy.train import run_training

# the declared thread count, not the cores Snakemake grants: threads change the weights
with job(snakemake.log[0], snakemake.params.training["threads"], gpu=snakemake.resources.gpu > 0,
         granted=snakemake.threads) as log:
    wildcards, params = snakemake.wildcards, snakemake.params
    model, history, meta = run_training(
        dict(params.model), dict(params.training), int(wildcards.seed),
        Path(snakemake.input.train), Path(snakemake.input.validation),
        Path(snakemake.input.distorted) if "distorted" in snakemake.input.keys() else None,
        Path(params.resume), params.code, log, progress_stream=log.stream,
        # snapshots change no result, so they are read from the config, not params (no rerun)
        snapshot_folder=Path(snakemake.output.checkpoint).parent / "epochs"
        if variant_training(snakemake.config, wildcards.variant)["snapshots"] else None,
    )
    with atomic_path(snakemake.output.history) as tmp:
        pd.DataFrame(history).to_csv(tmp, index=False)
    save_checkpoint(snakemake.output.checkpoint, model,
                    {**meta, "variant": wildcards.variant, "dataset": wildcards.dataset})
    Path(params.resume).unlink(missing_ok=True)
    log(f"done in {meta['wall_seconds']:.1f}s: validation accuracy {history[-1]['val_accuracy']:.4f}")
