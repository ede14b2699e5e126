"""Paired intervals between variants, the original report's claims judged, and the headline page."""


from cnnstudy.claims import claims_table, evidence_table, scope_sentence
from cnnstudy.decision import method_html
from cnnstudy.files import write_text
from cnnstudy.jobs import job
from cnnstudy.landing import WHERE_TO_TRAIN
from cnnstudy.readers import AUDIT_KEYS, read_json, read_predictions, read_table
from cnnstudy.speed import untrained_line, untrained_table
from cnnstudy.study import by_run, correct_by_run, significance_table, untrained_reasons
from cnnstudy.tables import headline_html, write_table
from cnnstudy.wording import method_text, table_words

with job(snakemake.log[0], snakemake.params.code) as log:
    params, dataset = snakemake.params, snakemake.wildcards.dataset
    settings = dict(params.stats)
    summary = read_table(snakemake.input.summary, ("variant", "converged", "trained", "budget_check", "epochs"))
    runs = read_table(snakemake.input.runs, ("variant", "seed"))
    audits = {audit["model"]: audit for audit in (read_json(path, AUDIT_KEYS) for path in snakemake.input.audits)}
    speeds = read_table(snakemake.input.speed, ("variant",))
    splits = read_table(snakemake.input.data, ("split", "count")).set_index("split")["count"]
    predictions = {key: read_predictions(path, int(splits["test"]))
                   for key, path in by_run(params.runs, snakemake.input.predictions).items()}
    trained = set(summary.loc[summary["converged"], "variant"])
    significance = significance_table([tuple(pair) for pair in params.pairs], correct_by_run(predictions), settings,
                                      trained)
    claims = {name: dict(claim) for name, claim in params.claims.items()}
    evidence = evidence_table(claims, significance, runs, trained, audits, speeds, settings,
                              untrained_reasons(summary, dataset))
    verdicts = claims_table(claims, evidence)
    method = method_text(settings)
    write_table(significance, snakemake.output.csv, snakemake.output.html,
                **table_words("significance", dataset=dataset, method=method))
    untrained = untrained_table([name for name in params.plans if name not in set(summary["variant"])], audits,
                                speeds, params.plans, int(splits["train"]))
    write_table(untrained, snakemake.output.untrained_csv, None, title="")
    scope = scope_sentence(summary, verdicts, list(untrained["variant"]))
    untrained_lines = [untrained_line(row) for row in untrained.to_dict("records")]
    write_table(evidence, snakemake.output.evidence_csv, None, title="")
    write_table(verdicts, snakemake.output.claims_csv, snakemake.output.claims,
                **table_words("claims", dataset=dataset, scope=scope, method=method))
    write_text(snakemake.output.headline, headline_html(dataset, scope, verdicts, evidence, summary,
                                                        untrained_lines, WHERE_TO_TRAIN, method_html(settings)))
    for row in verdicts.itertuples():
        log(f"claim {row.label}: {row.verdict}: {row.conclusion}")
