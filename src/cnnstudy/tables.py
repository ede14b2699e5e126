"""Tables go out twice: CSV for machines, a small self-contained HTML page for the report.

Every HTML page of the workflow is rendered here, from the templates below."""

from __future__ import annotations

import html
import math
import string
from pathlib import Path
from typing import Any

import pandas as pd

from cnnstudy.files import atomic_path, write_text

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1em; color: #111; }
caption { text-align: left; font-weight: 600; margin-bottom: .5em; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #bbb; padding: 3px 8px; }
th { background: #eee; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { max-width: 32em; }
tr:nth-child(even) td { background: #f7f7f7; }
p.note { font-size: 12px; color: #333; max-width: 60em; }
p.scope { font-size: 15px; max-width: 60em; border-left: 4px solid #333; padding-left: .6em; }
table.claims { table-layout: fixed; width: 100%; max-width: 110em; }
table.claims col.number { width: 6em; } table.claims col.conclusion { width: 22%; }
table.claims col.verdict { width: 8.5em; }
table.claims > tbody > tr > td { vertical-align: top; overflow-wrap: anywhere; }
table.evidence { width: 100%; font-size: 12px; }
table.evidence td, table.evidence th { padding: 2px 4px; overflow-wrap: anywhere; }
td.verdict { font-weight: 700; }
td.verdict.refuted { text-decoration: underline; }
td.verdict.not-tested, td.verdict.inconclusive { color: #555; font-weight: 400; font-style: italic; }
details { font-size: 12px; margin-top: .3em; }
ul.note { font-size: 13px; max-width: 70em; }
table.decision { font-size: 12px; margin-top: .5em; }
"""


def format_cell(value: Any) -> tuple[str, bool]:
    """Text of a cell and whether it is numeric (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return (f"{value:,.0f}" if abs(value) >= 1e5 else f"{value:.2e}"), True
        return f"{value:.4g}", True
    return str(value), False


def interval_text(low: float, high: float, scale: float = 100, sign: bool = False) -> str:
    """'low - high' in percent, or '+low to +high' in points with ``sign``; empty without an interval."""
    if math.isnan(low):
        return ""
    form = "{:+.2f}" if sign else "{:.2f}"
    return form.format(scale * low) + (" to " if sign else " - ") + form.format(scale * high)


def to_html(frame: pd.DataFrame, title: str, note: str = "") -> str:
    """A standalone HTML page with one table (no scripts, no external resources)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            text, numeric = format_cell(value.item() if hasattr(value, "item") else value)
            cells.append(f'<td class="num">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    note_html = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return page(title, f"<table><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>"
                       f"<tbody>{''.join(rows)}</tbody></table>{note_html}")


PAGE = string.Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title><style>$style</style></head><body>$body</body></html>
""")

HEADLINE = string.Template("""<h2>The original report's conclusions, judged on $dataset</h2>
<p class='scope'>$scope</p>
<table class='claims'><colgroup><col class='number'><col class='conclusion'><col class='verdict'><col></colgroup>
<thead><tr><th>#</th><th>conclusion</th><th>verdict</th><th>evidence</th></tr></thead><tbody>$verdicts</tbody></table>
<h3>Variants, best first</h3>
<table><thead><tr><th>variant</th><th>mean test accuracy</th><th>95% CI over seeds</th><th>trained far enough</th>
<th>original report</th><th>MACs / image</th></tr></thead><tbody>$variants</tbody></table>
$untrained<details><summary>How the verdicts are read</summary>$method</details>""")

EVIDENCE_COLUMNS = ("test", "expect", "difference", "interval", "margin", "verdict")


def page(title: str, body: str) -> str:
    """A standalone HTML page (no scripts, no external resources) around ``body``."""
    return PAGE.substitute(title=html.escape(title), style=STYLE, body=body)


def verdict_class(verdict: str) -> str:
    """CSS class of a verdict cell: readable in grey-scale too (weight and style, not colour alone)."""
    return "verdict " + verdict.replace(" ", "-")


def evidence_html(tests: pd.DataFrame) -> str:
    """A claim's tests as a compact table, their notes and what would settle them folded below."""
    head = "".join(f"<th>{name}</th>" for name in EVIDENCE_COLUMNS)
    rows = []
    for r in tests.to_dict("records"):
        test = ("context: " if r["role"] == "context" else "") + f"{r['test']} ({r['measure'].replace('_', ' ')})"
        level = "" if math.isnan(r["level %"]) else f" ({r['level %']:g}%)"
        cells = [test, r["expect"], r["difference"], (r["interval"] + level) if r["interval"] else "",
                 r["margin"], r["verdict"] if r["role"] == "decides" else "(context)"]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    notes = [f"{r['test']} ({r['measure'].replace('_', ' ')}): shows {r['shows']}"
             + (f"; {r['note']}" if r["note"] else "") + (f"; to settle: {r['to settle']}" if r["to settle"] else "")
             for r in tests.to_dict("records")]
    details = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (f"<table class='evidence'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<details><summary>details</summary><ul>{details}</ul></details>")


def headline_html(dataset: str, scope: str, claims: pd.DataFrame, evidence: pd.DataFrame, summary: pd.DataFrame,
                  untrained: list[str], where: str, method: str) -> str:
    """The study at a glance: how many conclusions this run decided, the verdict on each of the
    original report's conclusions with its evidence as a table, the variants ranked, what
    training each untrained variant costs (``untrained``: one line each; ``where``: where to train
    them), and how the verdicts
    are read (``method``: HTML)."""
    verdicts = "".join(
        f"<tr><td>{html.escape(r['label'])}</td><td>{html.escape(r['conclusion'])}</td>"
        f"<td class='{verdict_class(r['verdict'])}'>{html.escape(r['verdict'])}</td>"
        f"<td>{evidence_html(evidence[evidence['claim'] == r['claim']])}</td></tr>"
        for r in claims.to_dict("records")
    )
    variants = "".join(
        f"<tr><td>{html.escape(r.variant)}</td><td class='num'>{100 * r.accuracy_mean:.2f}%</td>"
        f"<td class='num'>{interval_text(r.accuracy_ci_low, r.accuracy_ci_high)}</td>"
        f"<td>{'yes' if r.converged else 'no'}: {html.escape(r.trained)}</td>"
        f"<td class='num'>{'' if math.isnan(r.reported_accuracy) else f'{100 * r.reported_accuracy:.2f}%'}</td>"
        f"<td class='num'>{r.macs / 1e6:,.1f} M</td></tr>"
        for r in summary.itertuples()
    )
    listed = "".join(f"<li>{html.escape(line)}</li>" for line in untrained)
    body = HEADLINE.substitute(dataset=html.escape(dataset), scope=html.escape(scope), verdicts=verdicts,
                               variants=variants, method=method,
                               untrained=f"<h3>Audited, not trained here</h3><p class='note'>{html.escape(where)}</p>"
                               f"<ul class='note'>{listed}</ul>"
                               if untrained else "")
    return page(f"Headline: {dataset}", body)


def write_table(frame: pd.DataFrame, csv_path: Path | str | None, html_path: Path | str | None, title: str,
                note: str = "") -> None:
    """Write the CSV and/or its HTML rendering, each atomically."""
    if csv_path is not None:
        with atomic_path(csv_path) as tmp:
            frame.to_csv(tmp, index=False)
    if html_path is not None:
        write_text(html_path, to_html(frame, title, note))


def count(number: int, noun: str) -> str:
    """'no conclusion', '1 conclusion', '3 conclusions': a count read as written English."""
    if number == 0:
        return f"no {noun}"
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
