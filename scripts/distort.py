"""Write K elastically distorted copies of a training split, and a preview figure."""

import json

import numpy as np

from cnnstudy import plots
from cnnstudy.datasets import load_split, stratified_head
from cnnstudy.distort import distorted_copies
from cnnstudy.files import save_npz
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code, snakemake.threads) as log:
    spec = dict(snakemake.params.spec)
    images, labels, provenance = load_split(snakemake.input[0])
    log(f"distorting {len(images)} images x {spec['copies']} copies: alpha {spec['alpha']} px, sigma {spec['sigma']} px")
    copies = distorted_copies(images, spec["alpha"], spec["sigma"], spec["copies"], spec["seed"])
    save_npz(snakemake.output.copies, images=copies, labels=labels,
             settings=np.array(json.dumps(spec, sort_keys=True)))
    shown = stratified_head(labels, spec["preview"])
    plots.distortion_preview(
        images[shown], copies[: min(3, len(copies)), shown], snakemake.output.preview,
        f"Elastic distortion '{snakemake.wildcards.distortion}' (alpha {spec['alpha']} px, sigma {spec['sigma']} px): "
        "originals above distorted copies",
    )
    log("done")
