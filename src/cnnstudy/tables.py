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
td.verdict { font-weight: 600; white-space: nowrap; }
td.not-tested { color: #777; font-weight: 400; font-style: italic; }
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

HEADLINE = string.Template("""<h2>Headline results on $dataset</h2>
<p class='scope'><b>What this run can tell:</b> $scope</p>
<h3>The original report's conclusions</h3>
<table><thead><tr><th>#</th><th>conclusion</th><th>verdict</th><th>evidence</th></tr></thead><tbody>$verdicts</tbody></table>
$instead<p class='note'>$method</p>
<h3>Variants, best first</h3>
<table><thead><tr><th>variant</th><th>mean test accuracy</th><th>95% CI over seeds</th><th>converged</th>
<th>original report</th><th>MACs / image</th></tr></thead><tbody>$variants</tbody></table>""")


def page(title: str, body: str) -> str:
    """A standalone HTML page (no scripts, no external resources) around ``body``."""
    return PAGE.substitute(title=html.escape(title), style=STYLE, body=body)


def headline_html(dataset: str, scope: str, claims: pd.DataFrame, summary: pd.DataFrame, instead: str,
                  method: str) -> str:
    """The study at a glance: what the run can tell, the verdict on each of the original
    report's conclusions with its evidence, and the variants ranked."""
    verdicts = "".join(
        f"<tr><td class='num'>{r['number']}</td><td>{html.escape(r['claim'])}</td>"
        f"<td class='verdict{' not-tested' if r['verdict'].startswith('not tested') else ''}'>"
        f"{html.escape(r['verdict'])}</td><td>{html.escape(r['evidence'])}"
        + (f"<br><i>To settle: {html.escape(r['to settle'])}</i>" if r["to settle"] else "") + "</td></tr>"
        for r in claims.to_dict("records")
    )
    variants = "".join(
        f"<tr><td>{html.escape(r.variant)}</td><td class='num'>{100 * r.accuracy_mean:.2f}%</td>"
        f"<td class='num'>{interval_text(r.accuracy_ci_low, r.accuracy_ci_high)}</td>"
        f"<td>{'yes' if r.converged else 'no'} ({r.converged_runs}/{r.seeds})</td>"
        f"<td class='num'>{'' if math.isnan(r.reported_accuracy) else f'{100 * r.reported_accuracy:.2f}%'}</td>"
        f"<td class='num'>{r.macs / 1e6:,.1f} M</td></tr>"
        for r in summary.itertuples()
    )
    body = HEADLINE.substitute(
        dataset=html.escape(dataset), scope=html.escape(scope), verdicts=verdicts, variants=variants,
        instead=f"<p class='scope'>{html.escape(instead)}</p>" if instead else "", method=html.escape(method))
    return page(f"Headline: {dataset}", body)


def write_table(frame: pd.DataFrame, csv_path: Path | str | None, html_path: Path | str | None, title: str,
                note: str = "") -> None:
    """Write the CSV and/or its HTML rendering, each atomically."""
    if csv_path is not None:
        with atomic_path(csv_path) as tmp:
            frame.to_csv(tmp, index=False)
    if html_path is not None:
        write_text(html_path, to_html(frame, title, note))
