"""Plain-text tables (Markdown and HTML) from DataFrames, without extra dependencies."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd


def _fmt(value: object, digits: int, pct: bool = False) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        return f"{value:.2%}" if pct else f"{value:.{digits}f}"
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


#: Text cells longer than this wrap (class ``long``); every other cell stays on one line.
LONG = 60


def html_table(frame: pd.DataFrame, digits: int = 3, index: bool = True, pct: bool = False,
               pct_columns: tuple[str, ...] = ()) -> str:
    """An HTML table of ``frame`` with escaped cells (numbers right-aligned), in a horizontally scrolling
    box whose first column stays in view (CSS classes ``scroll`` and ``sticky``, see the report's style).

    Text longer than :data:`LONG` characters wraps (in a ``div.long``), except in the first column. ``pct`` formats every float as a percentage with two decimals; ``pct_columns`` only those columns.
    """
    data = frame.reset_index() if index else frame
    numeric = [pd.api.types.is_numeric_dtype(data[c]) for c in data.columns]
    as_pct = [pct or c in pct_columns for c in data.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in data.columns)
    body = []
    for row in data.itertuples(index=False):
        texts = [_fmt(v, digits, p) for v, p in zip(row, as_pct)]
        cells = "".join(f'<td class="num">{html.escape(t)}</td>' if n else
                        f'<td class="txt"><div class="long">{html.escape(t)}</div></td>' if len(t) > LONG and k else
                        f'<td class="txt">{html.escape(t)}</td>' for k, (t, n) in enumerate(zip(texts, numeric)))
        body.append(f"<tr>{cells}</tr>")
    return (f"<div class='scroll'><table class='sticky'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            "</tbody></table></div>")
