"""The report's landing page: this run's verdict on each conclusion, above question and method.

Snakemake renders the workflow description (``report:`` in the Snakefile) as the report's first
screen, and it is read when the report is built; so a rule writes it, the verdicts of this run
first, then the static description (report/workflow.rst, with its Jinja fields left for
Snakemake to fill).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from cnnstudy.claims import EXACT, NOT_TESTED, UNITS, decided_sentence

RST_SPECIAL = re.compile(r"([\\*`|_\[\]])")
# Where a variant a run did not train can be trained (the landing page and the headline).
WHERE_TO_TRAIN = ("config/laptop-study.yaml trains every variant on the 5,000 embedded digits overnight "
                  "(docs/performance.md); config/full.yaml on full MNIST, on a GPU or a cluster")


def rst_text(text: Any) -> str:
    """Plain text safe inside reStructuredText (no markup, no references) and Jinja."""
    escaped = RST_SPECIAL.sub(r"\\\1", str(text))
    return escaped.replace("{{", "{ {").replace("{%", "{ %").replace("{#", "{ #")


def evidence_phrase(tests: pd.DataFrame, untrained: set[str]) -> str:
    """The deciding tests of a claim in a few words: each measured difference with its interval,
    then the variants this run did not train (``untrained``), named once, with the notes of those
    tests: a note can say that training them here would not decide the claim. A test whose nets
    ran but are not trained far enough says what would make them (its "to settle")."""
    phrases, to_train, notes = [], [], []
    for r in tests[tests["role"] == "decides"].to_dict("records"):
        if not r["difference"]:
            to_train += [name for name in r["test"].split(" vs ") if name in untrained and name not in to_train]
            notes += [r["note"]] if r.get("note") and r["note"] not in notes else []
            continue
        exact = r["measure"] in EXACT  # audit counts: no interval
        settle = r.get("to settle") or "not trained far enough"
        phrases.append(f"{r['test']}, {UNITS[r['measure']]}: {r['difference']}"
                       + ("" if exact else f" ({r['interval']})")
                       + (f", {settle}" if r["verdict"] == NOT_TESTED else ""))
    if to_train:
        phrases.append(f"to train: {', '.join(to_train)}")
    return "; ".join(phrases + notes)


def findings_rst(dataset: str, claims: pd.DataFrame, evidence: pd.DataFrame, untrained: dict[str, str]) -> str:
    """One dataset's verdicts as a narrow RST table (it has to fit a laptop's first screen), then
    the evidence of each claim in a line, then what was not trained (``untrained``: each
    variant's line of what training it costs)."""
    lines = [f"**What this run found on {rst_text(dataset)}.** {rst_text(decided_sentence(claims))} "
             "Intervals and margins: the first item under Comparison_, 0 headline.", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 12 66 22", "",
             "   * - #", "     - the original report's conclusion", "     - verdict"]
    for r in claims.to_dict("records"):
        lines += [f"   * - {rst_text(r['label'])}", f"     - {rst_text(r['conclusion'])}",
                  f"     - **{rst_text(r['verdict'])}**"]
    lines += ["", "**Evidence.**", ""]
    for r in claims.to_dict("records"):
        phrase = evidence_phrase(evidence[evidence["claim"] == r["claim"]], set(untrained))
        if phrase:
            lines.append(f"- {rst_text(r['label'])}: {rst_text(phrase)}")
    lines.append("")
    if untrained:
        lines += [f"**Audited, not trained in this run** ({rst_text(WHERE_TO_TRAIN)}):", ""]
        lines += [f"- {rst_text(line)}" for line in untrained.values()]
        lines.append("")
    return "\n".join(lines)


def landing_rst(template: str, findings: list[str]) -> str:
    """The static description with the findings inserted under its title (its first two lines)."""
    lines = template.splitlines()
    head, rest = lines[:2], lines[2:]
    return "\n".join(head + [""] + findings + rest) + "\n"
