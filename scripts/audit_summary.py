"""One table of the totals of every audited model."""

import pandas as pd

from cnnstudy.jobs import job
from cnnstudy.readers import read_json
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

COLUMNS = ["model", "params", "macs", "thop_macs", "flopcounter_flops", "input_mb", "forward_backward_mb",
           "params_mb", "total_mb", "thop_vs_hand", "flopcounter_vs_hand"]

with job(snakemake.log[0], snakemake.params.code) as log:
    table = pd.DataFrame([read_json(path, COLUMNS) for path in snakemake.input])[COLUMNS]
    write_table(table, snakemake.output.csv, snakemake.output.html,
                **table_words("audit summary"))
    log(f"{len(table)} models")
