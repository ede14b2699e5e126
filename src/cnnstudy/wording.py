"""How the study judges, in words: the method paragraph and the decision table, generated from
the code that applies them (cnnstudy.stats), for the report and the README alike.

``python -m cnnstudy.wording`` rewrites the README's decision table; a test checks it is current.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

from cnnstudy import stats

README_START, README_END = "<!-- decision-table -->", "<!-- /decision-table -->"


def method_text(settings: dict[str, Any]) -> str:
    """The method in one paragraph, with this run's alpha, delta and cost factor."""
    level, delta = 100 * (1 - settings["alpha"]), 100 * settings["relevant_difference"]
    return (f"Each test reads an interval of a difference (variant minus reference; positive means the variant is "
            f"better) against 0 and a margin d: for accuracy, the paired difference on the same test digits averaged "
            f"over seeds, whose {level:.0f}% interval counts both which digits were tested and which run each seed "
            f"produced, with d = {delta:.2f} pts, the smallest difference worth a claim; for overfitting, the "
            "train-minus-test gap (smaller is better); for cost, the ratio reference / variant of MACs or parameters "
            f"(exact, from the audit) or of measured seconds (a t interval over seeds), with d = x"
            f"{settings['cost_factor']:g} unless a test sets its own factor. The k interval tests that decide one "
            f"claim are read at {level:.0f}% / k each (Bonferroni), so that they hold together and nothing outside "
            "the claim changes its verdict. One decision table maps every position of an interval to one verdict: "
            "better claims a gain of at least d, and a gain shown real but smaller than d reads 'below the margin'. "
            "A claim is supported when each of its tests is, refuted when one is refuted, and judged only on models "
            "trained far enough (the runs table); what the evidence cannot decide is inconclusive, with what "
            "would decide it.")


def decision_rows() -> list[list[str]]:
    table = stats.decision_table()
    return [list(table.columns)] + table.astype(str).values.tolist()


def decision_table_html() -> str:
    head, *body = decision_rows()
    cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
    return (f"<table class='decision'><caption>The decision table (L, H: the interval's ends; d: the margin)"
            f"</caption><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>")


def method_html(settings: dict[str, Any]) -> str:
    return f"<p class='note'>{html.escape(method_text(settings))}</p>{decision_table_html()}"


def decision_table_markdown() -> str:
    head, *body = decision_rows()
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def readme_with_table(text: str) -> str:
    """The README text with its decision-table block regenerated."""
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    return text[:start] + "\n" + decision_table_markdown() + "\n" + text[end:]


def main() -> None:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    readme.write_text(readme_with_table(readme.read_text()))


if __name__ == "__main__":
    main()
