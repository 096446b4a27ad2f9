"""Plain-text tables (Markdown and HTML) from DataFrames, without extra dependencies."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd


def _fmt(value: object, digits: int) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(frame: pd.DataFrame, digits: int = 3, index: bool = True) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (floats to ``digits`` places, NaN blank)."""
    data = frame.reset_index() if index else frame
    header = [str(c) for c in data.columns]
    rows = [[_fmt(v, digits) for v in row] for row in data.itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
    align = ["---:" if n else ":---" for n in numeric]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def html_table(frame: pd.DataFrame, digits: int = 3, index: bool = True) -> str:
    """An HTML table of ``frame`` with escaped cells (numbers right-aligned)."""
    data = frame.reset_index() if index else frame
    numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        cells = "".join(f'<td class="{"num" if n else "txt"}">{html.escape(_fmt(v, digits))}</td>'
                        for v, n in zip(row, numeric))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
