"""Paired tests between variants, the seed's claims judged, and the headline page."""

import pandas as pd

from cnnstudy.files import write_text
from cnnstudy.jobs import job
from cnnstudy.study import budget_caveat, claims_table, headline_html, read_predictions, significance_table
from cnnstudy.tables import write_table

with job(snakemake.log[0]) as log:
    params, dataset = snakemake.params, snakemake.wildcards.dataset
    correct, accuracy = read_predictions(snakemake.input.predictions)
    summary = pd.read_csv(snakemake.input.summary)
    significance = significance_table([tuple(pair) for pair in params.pairs], correct, accuracy, dict(params.stats))
    claims = claims_table(list(params.claims), significance, summary)
    write_table(significance, snakemake.output.csv, snakemake.output.html,
                title=f"Paired comparisons on {dataset} (exact McNemar, Holm-corrected)",
                note="b: test digits only the reference got right; c: only the variant. difference_pts: "
                     "variant minus reference accuracy, pooled over seeds. detectable_pts: the smallest "
                     "difference the pooled test detects with the configured power.")
    scope = budget_caveat(summary)
    write_table(claims, snakemake.output.claims_csv, snakemake.output.claims,
                title=f"The seed's conclusions, judged on {dataset}", note=scope)
    write_text(snakemake.output.headline, headline_html(dataset, summary, claims, significance, scope))
    for row in claims.itertuples():
        log(f"claim {row.number}: {row.verdict}: {row.claim}")
