"""Every variant timed on random weights, interleaved: training time per digit and latency."""

import pandas as pd

from cnnstudy.jobs import job
from cnnstudy.speed import time_variants
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

with job(snakemake.log[0], snakemake.params.code, snakemake.threads) as log:
    settings, specs = dict(snakemake.params.speed), dict(snakemake.params.specs)
    log(f"timing {len(specs)} variants on random weights: {settings['repeats']} interleaved rounds of "
        f"{settings['steps']} training steps (batch {settings['batch']}) and single-digit inferences")
    timings = pd.DataFrame(time_variants(specs, settings["batch"], settings["repeats"], settings["steps"],
                                         settings["warmup"]))
    write_table(timings, snakemake.output.csv, None, title="")
    medians = timings.groupby("variant", sort=False)[["train_ms", "latency_ms"]].median().round(3).reset_index()
    write_table(medians, None, snakemake.output.html,
                **table_words("speed", repeats=settings["repeats"], threads=snakemake.threads, batch=settings["batch"]))
    for row in medians.itertuples():
        log(f"{row.variant}: {row.train_ms:.2f} ms per training digit, {row.latency_ms:.2f} ms latency")
