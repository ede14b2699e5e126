"""The report's landing page: this run's verdicts first, then the static workflow description."""

from pathlib import Path

from cnnstudy.files import write_text
from cnnstudy.jobs import job
from cnnstudy.landing import findings_rst, landing_rst
from cnnstudy.readers import read_table
from cnnstudy.speed import untrained_line

with job(snakemake.log[0], snakemake.params.code) as log:
    findings = []
    for dataset, claims, evidence, untrained in zip(snakemake.params.datasets, snakemake.input.claims,
                                                     snakemake.input.evidence, snakemake.input.untrained):
        lines = {row["variant"]: untrained_line(row)
                 for row in read_table(untrained).to_dict("records")}
        findings.append(findings_rst(dataset, read_table(claims, keep_default_na=False),
                                     read_table(evidence, keep_default_na=False), lines))
    write_text(snakemake.output[0], landing_rst(Path(snakemake.input.template).read_text(), findings))
    log(f"landing page: the verdicts of {', '.join(snakemake.params.datasets)} above the workflow description")
