"""Pack this run's small results (no checkpoints) for building the report on another machine."""

from cnnstudy.bundle import pack
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code) as log:
    pack(snakemake.output[0], list(snakemake.params.members), dict(snakemake.params.manifest))
    log(f"{snakemake.output[0]}: {len(snakemake.params.members)} files of {len(snakemake.params.manifest['variants'])} "
        "variants; build the report elsewhere with run.bundle set to this file")
