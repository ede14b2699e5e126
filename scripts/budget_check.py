"""Score a variant's runs (every seed) and its twice-as-long run on the validation split."""

import numpy as np

from cnnstudy.checkpoint import load_checkpoint
from cnnstudy.convergence import budget_check
from cnnstudy.datasets import load_split
from cnnstudy.files import write_json
from cnnstudy.jobs import job
from cnnstudy.metrics import evaluate
from cnnstudy.runtime import pick_device, pick_precision, place

# the declared thread count, not the cores Snakemake grants: threads change the logits
with job(snakemake.log[0], snakemake.params.code, snakemake.params.threads, gpu=snakemake.resources.gpu > 0,
         jobs_per_gpu=snakemake.resources.jobs_per_gpu,
         granted=snakemake.threads) as log:
    params, variant = snakemake.params, snakemake.wildcards.variant
    device = pick_device(params.device)
    precision = pick_precision(params.precision, device)
    images, labels, _ = load_split(snakemake.input.validation)

    def scored(path):
        model, meta = load_checkpoint(path, variant, dict(params.model))
        place(model, device, precision)
        _, predicted, _ = evaluate(model, images, labels, params.batch_size, device, precision)
        return predicted == labels, meta["epochs"]

    base = [scored(path) for path in snakemake.input.base]
    long, long_epochs = scored(snakemake.input.long)
    check = budget_check(np.stack([correct for correct, _ in base]), long, params.delta)
    write_json(snakemake.output[0], {"variant": variant, "epochs": base[0][1], "long_epochs": long_epochs, **check})
    log(f"{variant}: {len(base)} runs of {base[0][1]} epochs vs one of {long_epochs} on {len(labels)} validation "
        f"digits: {check['verdict']} ({check['why']})")
