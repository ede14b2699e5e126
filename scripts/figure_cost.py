"""Figure: accuracy against MACs and against measured latency, with Pareto fronts."""

import pandas as pd

from cnnstudy import plots
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code):
    plots.accuracy_vs_cost(pd.read_csv(snakemake.input[0]), snakemake.output[0])
