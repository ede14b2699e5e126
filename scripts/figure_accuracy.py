"""Figure: accuracy per variant with its confidence interval."""

from cnnstudy import plots
from cnnstudy.jobs import job
from cnnstudy.readers import read_table

with job(snakemake.log[0], snakemake.params.code):
    plots.accuracy_by_variant(read_table(snakemake.input[0]), snakemake.output[0])
