"""The decision table in words, generated from the code that applies it (cnnstudy.stats), for
the report and the README alike.

``python -m cnnstudy.decision`` rewrites the README's decision table; a test checks it is current.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

from cnnstudy import stats
from cnnstudy.wording import method_text

README_START, README_END = "<!-- decision-table -->", "<!-- /decision-table -->"


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
