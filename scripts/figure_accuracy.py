"""Figure: accuracy per variant with its confidence interval."""

import pandas as pd

from cnnstudy import plots
from cnnstudy.jobs import job

with job(snakemake.log[0], snakemake.params.code):
    plots.accuracy_by_variant(pd.read_csv(snakemake.input[0]), snakemake.output[0])
