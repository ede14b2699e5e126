"""Paired intervals between variants, the original report's claims judged, and the headline page."""

import pandas as pd

from cnnstudy.files import write_text
from cnnstudy.jobs import job
from cnnstudy.study import (
    by_run,
    claims_table,
    learning_speed_sentence,
    read_predictions,
    scope_sentence,
    significance_table,
)
from cnnstudy.tables import headline_html, write_table

with job(snakemake.log[0], snakemake.params.code) as log:
    params, dataset = snakemake.params, snakemake.wildcards.dataset
    settings = dict(params.stats)
    summary = pd.read_csv(snakemake.input.summary)
    runs = pd.read_csv(snakemake.input.runs)
    significance = significance_table([tuple(pair) for pair in params.pairs],
                                      read_predictions(by_run(params.runs, snakemake.input.predictions)), settings,
                                      set(summary.loc[summary["converged"], "variant"]))
    claims = claims_table(list(params.claims), significance, summary, runs, settings)
    delta, level = 100 * settings["relevant_difference"], 100 * (1 - settings["alpha"])
    method = (f"Each comparison: the accuracy difference (variant minus reference) on the same test digits, "
              f"averaged over seeds, with a {level:.0f}% interval that counts both which digits were tested and "
              f"which run each seed produced; delta = {delta:.2f} pts is the smallest difference worth a claim. "
              "better: interval above 0 and significant after Holm; not worse: lower end above -delta; not better: "
              "upper end below +delta; equivalent: both ends within +-delta; anything else is inconclusive.")
    write_table(significance, snakemake.output.csv, snakemake.output.html,
                title=f"Paired comparisons on {dataset}: accuracy difference with its interval", note=method)
    scope = scope_sentence(summary, claims)
    write_table(claims, snakemake.output.claims_csv, snakemake.output.claims,
                title=f"The original report's conclusions, judged on {dataset}", note=scope + " " + method)
    instead = learning_speed_sentence(summary) if not summary["converged"].all() else ""
    write_text(snakemake.output.headline, headline_html(dataset, scope, claims, summary, instead, method))
    for row in claims.itertuples():
        log(f"claim {row.number}: {row.verdict}: {row.claim}")
