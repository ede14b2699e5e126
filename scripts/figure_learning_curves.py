"""Figure: learning curves of every variant (mean over seeds)."""

from cnnstudy import plots
from cnnstudy.jobs import job
from cnnstudy.readers import read_table

with job(snakemake.log[0], snakemake.params.code):
    plots.learning_curves(read_table(snakemake.input[0]), snakemake.output[0])
