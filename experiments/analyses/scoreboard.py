"""Scoreboard rows: a study's figures against the paper's, each within or outside a band stated in advance.

A replication config holds, under its analysis' ``paper`` parameter, the source table and one entry per
figure ``{paper, band: [low, high], why}``, written before the study's results were seen. A study computes
its figures; :func:`scoreboard_rows` turns them into rows ``{study, figure, paper, value, band_low,
band_high, within, note}``. A figure outside its band is marked so (``within`` false, the note starting
``OUTSIDE its band``); the band is never widened after the fact. A figure the study could not compute is
kept as a row with ``value`` None and ``within`` None, so nothing is silently dropped.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from plumbing.errors import FactorRegimesError

#: Keys of one scoreboard row, in order.
ROW_KEYS = ("study", "figure", "paper", "value", "band_low", "band_high", "within", "note")


def check_paper_spec(study: str, spec: dict | None, figures: list[str] | None = None) -> dict[str, dict]:
    """Validate a ``paper`` parameter and return its figures.

    Parameters
    ----------
    study : str
        The study's name, for messages.
    spec : dict
        ``{source: str, figures: {figure: {paper: float | None, band: [low, high], why: str}}}``.
    figures : list of str, optional
        Figure names the study can compute; an unknown name in ``spec`` is refused.

    Returns
    -------
    dict
        Figure -> ``{paper, band_low, band_high, why}`` (floats).

    Raises
    ------
    FactorRegimesError
        A missing source, band or justification, a band whose low end exceeds its high end, or an
        unknown figure.
    """
    if not isinstance(spec, dict) or not spec.get("source") or not isinstance(spec.get("figures"), dict):
        raise FactorRegimesError(f"{study}: 'paper' needs a 'source' (the table the figures come from) and "
                                 "'figures' ({figure: {paper, band: [low, high], why}})")
    out = {}
    for name, item in spec["figures"].items():
        where = f"{study}: paper figure {name!r}"
        if figures is not None and name not in figures:
            raise FactorRegimesError(f"{where} is not a figure of this study; valid: {', '.join(figures)}")
        if not isinstance(item, dict) or set(item) - {"paper", "band", "why"}:
            raise FactorRegimesError(f"{where} must be a mapping with keys paper, band, why")
        band = item.get("band")
        if not isinstance(band, (list, tuple)) or len(band) != 2:
            raise FactorRegimesError(f"{where}: 'band' must be [low, high]")
        try:
            low, high = float(band[0]), float(band[1])
            paper = None if item.get("paper") is None else float(item["paper"])
        except (TypeError, ValueError):
            raise FactorRegimesError(f"{where}: paper and band values must be numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low > high:
            raise FactorRegimesError(f"{where}: band [{band[0]}, {band[1]}] needs finite low <= high")
        why = str(item.get("why") or "").strip()
        if not why:
            raise FactorRegimesError(f"{where}: every band needs a one-line justification ('why')")
        out[name] = {"paper": paper, "band_low": low, "band_high": high, "why": why}
    return out


def scoreboard_rows(study: str, bands: dict[str, dict], values: dict[str, float | None],
                    gaps: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per banded figure, in the order of ``bands``.

    ``within`` is ``band_low <= value <= band_high`` (inclusive), None when the value is missing or not
    finite. ``note`` is the band's justification, prefixed ``OUTSIDE its band`` when it is outside and
    followed by the study's explanation of the gap from ``gaps`` when there is one.
    """
    gaps = gaps or {}
    rows = []
    for name, band in bands.items():
        value = values.get(name)
        value = None if value is None or not math.isfinite(float(value)) else float(value)
        within = None if value is None else bool(band["band_low"] <= value <= band["band_high"])
        note = band["why"]
        if within is False:
            note = f"OUTSIDE its band [{band['band_low']:g}, {band['band_high']:g}]; band: {note}"
        elif value is None:
            note = f"not computed; band: {note}"
        if gaps.get(name):
            note += f". Gap: {gaps[name]}"
        rows.append({"study": study, "figure": name, "paper": band["paper"], "value": value,
                     "band_low": band["band_low"], "band_high": band["band_high"], "within": within, "note": note})
    return rows


def scoreboard_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a table with the columns :data:`ROW_KEYS` (for CSV and HTML)."""
    return pd.DataFrame(rows, columns=list(ROW_KEYS))


def scoreboard_html(rows: list[dict[str, Any]], source: str, blind: bool = True) -> str:
    """An HTML table of the rows; a figure outside its band is shown in bold with 'outside'.

    ``blind`` False says that the bands were written when earlier figures of the study were already public.
    """
    from html import escape

    def num(x):
        return "" if x is None else f"{x:.4g}"

    body = []
    for r in rows:
        status = {True: "within", False: "<b>outside</b>", None: "not computed"}[r["within"]]
        body.append(f"<tr><td>{escape(r['figure'])}</td><td>{num(r['paper'])}</td><td>{num(r['value'])}</td>"
                    f"<td>[{r['band_low']:g}, {r['band_high']:g}]</td><td>{status}</td>"
                    f"<td>{escape(r['note'])}</td></tr>")
    when = ("bands were stated in the config before the results were seen" if blind else
            "bands were stated in the config before this run, but earlier figures of this study were already "
            "public (not blind; the config says so)")
    return (f"<p>Figures against {escape(source)}; {when}.</p><table><thead><tr><th>figure</th><th>paper</th><th>here</th><th>band</th><th>status</th>"
            "<th>note</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def sharpe_verdict(stats_table: pd.DataFrame, treated: str, against: str, level: str = "5 %",
                   size: float = 0.05) -> str:
    """One generated clause per group of ``stats_table``: is ``treated``'s Sharpe gain significant?

    Parameters
    ----------
    stats_table : pandas.DataFrame
        Indexed by (group, series), with ``sharpe_diff`` and ``sharpe_diff_p`` (Ledoit-Wolf studentized
        bootstrap test of equal Sharpe ratios, :func:`allocation.stats.sharpe_difference_bootstrap`).
    treated, against : str
        The series tested (an index value of the second level) and the one it is tested against (words).
    """
    from html import escape

    parts = []
    for group in stats_table.index.get_level_values(0).unique():
        row = stats_table.loc[(group, treated)]
        p = row.get("sharpe_diff_p")
        if p is None or pd.isna(p):
            continue
        sign = "higher" if row["sharpe_diff"] > 0 else "lower"
        parts.append(f"{escape(str(group))}: {escape(treated)} Sharpe {sign} (p = {p:.3f}, "
                     f"{'' if p < size else 'not '}significant at {level})")
    return (f"<p>{escape(treated.capitalize())} against {escape(against)}, Ledoit-Wolf bootstrap test of equal "
            "Sharpe ratios: " + "; ".join(parts) + ".</p>")
