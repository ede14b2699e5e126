"""Regular vs depth-wise separable convolution: analytic, counted and measured costs."""

import pandas as pd

from cnnstudy import plots
from cnnstudy.audit import separable_sweep
from cnnstudy.jobs import job
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

with job(snakemake.log[0], snakemake.params.code, snakemake.threads) as log:
    sweep = dict(snakemake.params.sweep)
    log(f"timing {len(sweep['points'])} conv pairs, batch {sweep['batch']}, median of {sweep['repeats']}")
    table = pd.DataFrame(separable_sweep(sweep["points"], sweep["batch"], sweep["repeats"], sweep["warmup"]))
    write_table(table, snakemake.output.csv, snakemake.output.html,
                **table_words("separable sweep", batch=sweep["batch"], threads=snakemake.threads, warmup=sweep["warmup"]))
    plots.separable_sweep(table, snakemake.output.figure)
