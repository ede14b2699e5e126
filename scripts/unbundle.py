"""Restore the small results of a run made elsewhere (run.bundle): the report is built from them."""

from cnnstudy.bundle import unpack
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code) as log:
    unpack(snakemake.input[0], list(snakemake.params.members), dict(snakemake.params.manifest))
    log(f"{snakemake.input[0]}: {len(snakemake.params.members)} files restored; nothing is retrained")
