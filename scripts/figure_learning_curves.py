"""Figure: learning curves of every variant (mean over seeds)."""

import pandas as pd

from cnnstudy import plots
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code):
    plots.learning_curves(pd.read_csv(snakemake.input[0]), snakemake.output[0])
