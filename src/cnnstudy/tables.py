"""Tables go out twice: CSV for machines, a small self-contained HTML page for the report."""

from __future__ import annotations

import html
import math
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
    return (
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note_html}</body></html>\n"
    )


def write_table(frame: pd.DataFrame, csv_path: Path | str | None, html_path: Path | str | None, title: str,
                note: str = "") -> None:
    """Write the CSV and/or its HTML rendering, each atomically."""
    if csv_path is not None:
        with atomic_path(csv_path) as tmp:
            frame.to_csv(tmp, index=False)
    if html_path is not None:
        write_text(html_path, to_html(frame, title, note))
