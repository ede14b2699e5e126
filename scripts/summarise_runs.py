"""Aggregate every run of a dataset: per-run table, per-variant summary, stacked histories."""

import pandas as pd

from cnnstudy.files import atomic_path
from cnnstudy.jobs import job
from cnnstudy.readers import AUDIT_KEYS, BUDGET_KEYS, METRICS_KEYS, SPEED_KEYS, read_history, read_json
from cnnstudy.study import by_run, run_table, summary_for_report, summary_table
from cnnstudy.tables import write_table
from cnnstudy.wording import table_words

with job(snakemake.log[0], snakemake.params.code) as log:
    keys, inputs = snakemake.params.runs, snakemake.input
    dataset = snakemake.wildcards.dataset
    metrics = by_run(keys, [read_json(path, METRICS_KEYS, {"dataset": dataset, "variant": variant, "seed": int(seed)})
                            for (variant, seed), path in zip(keys, inputs.metrics)])
    speeds = by_run(keys, [read_json(path, SPEED_KEYS) for path in inputs.speeds])
    histories = by_run(keys, [read_history(path) for path in inputs.histories])
    audits = {audit["model"]: audit for audit in (read_json(path, AUDIT_KEYS) for path in inputs.audits)}
    budget = {check["variant"]: check for check in (read_json(path, BUDGET_KEYS) for path in inputs.budget)}
    runs = run_table(metrics, speeds, histories, snakemake.params.min_train_accuracy)
    summary = summary_table(runs, audits, snakemake.params.variants, budget)
    write_table(runs, snakemake.output.runs_csv, snakemake.output.runs, **table_words("runs", dataset=dataset))
    write_table(summary, snakemake.output.summary_csv, None, title="")
    write_table(summary_for_report(summary), None, snakemake.output.summary,
                **table_words("summary", dataset=dataset))
    stacked = pd.concat([frame.assign(variant=key[0], seed=key[1]) for key, frame in sorted(histories.items())])
    with atomic_path(snakemake.output.histories) as tmp:
        stacked.to_csv(tmp, index=False)
    log(f"{len(runs)} runs of {len(summary)} variants; trained far enough: "
        f"{', '.join(summary.loc[summary['converged'], 'variant']) or 'none'}")
