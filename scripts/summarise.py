"""Aggregate every run of a dataset: per-run table, per-variant summary, stacked histories."""

import pandas as pd

from cnnstudy.files import atomic_path, read_json
from cnnstudy.jobs import job
from cnnstudy.study import by_run, run_table, summary_for_report, summary_table
from cnnstudy.tables import write_table

with job(snakemake.log[0], snakemake.params.code) as log:
    keys, inputs = snakemake.params.runs, snakemake.input
    metrics = by_run(keys, [read_json(path) for path in inputs.metrics])
    speeds = by_run(keys, [read_json(path) for path in inputs.speeds])
    histories = by_run(keys, [pd.read_csv(path) for path in inputs.histories])
    audits = {read_json(path)["model"]: read_json(path) for path in inputs.audits}
    runs = run_table(metrics, speeds, histories, dict(snakemake.params.convergence))
    summary = summary_table(runs, audits, snakemake.params.variants)
    dataset = snakemake.wildcards.dataset
    write_table(runs, snakemake.output.runs_csv, snakemake.output.runs, title=f"Every run on {dataset}",
                note="converged: the run's validation accuracy rose by less than the relevant difference over its "
                     "last epochs and it fit its training digits (the convergence column says which rule failed).")
    write_table(summary, snakemake.output.summary_csv, None, title="")
    write_table(summary_for_report(summary), None, snakemake.output.summary,
                title=f"Variants on {dataset}: accuracy and macro F1 over seeds, cost, and the original report",
                note="95% CI: t-interval over seeds, clipped to [0, 100] (empty with one seed; very wide with "
                     "two). converged: runs whose validation accuracy plateaued (see the runs table). latency ms: "
                     "median single-image forward time measured during evaluation. train - test: last-epoch "
                     "training accuracy minus test accuracy. Full precision in summary.csv.")
    stacked = pd.concat([frame.assign(variant=key[0], seed=key[1]) for key, frame in sorted(histories.items())])
    with atomic_path(snakemake.output.histories) as tmp:
        stacked.to_csv(tmp, index=False)
    log(f"{len(runs)} runs of {len(summary)} variants, {int(runs['converged'].sum())} converged")
