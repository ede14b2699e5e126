"""Figure: accuracy against MACs and against measured latency, with Pareto fronts."""

from cnnstudy import plots
from cnnstudy.jobs import job
from cnnstudy.readers import read_table

with job(snakemake.log[0], snakemake.params.code):
    plots.accuracy_vs_cost(read_table(snakemake.input[0]), snakemake.output[0])
