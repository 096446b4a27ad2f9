"""The replication scoreboard's files: ``scoreboard.json``, ``scoreboard.csv``, ``index.html`` and the README block.

Rows are those of :mod:`experiments.analyses.scoreboard` (``{study, figure, paper, value, band_low,
band_high, within, note}``), in study order. The page has one section per study (its figures, its rows with
the reason for each gap, a link to its own report) and one section without rows per study that cannot run
yet. The README's Results section shows :func:`scoreboard_markdown` of a ``scoreboard.json`` between
:data:`START` and :data:`END` (:func:`update_readme`); nothing in it is typed by hand.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from experiments.analyses.scoreboard import ROW_KEYS, scoreboard_frame, scoreboard_html
from plumbing.atomic import atomic_write_text
from plumbing.errors import FactorRegimesError

START, END = "<!-- scoreboard:start -->", "<!-- scoreboard:end -->"
CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:90%}"
       "img{max-width:100%}.outside{color:#b00}")


def _status(within: bool | None) -> str:
    return {True: "within", False: "OUTSIDE", None: "not computed"}[within]


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows are within, outside and not computed."""
    return {k: sum(r["within"] is v for r in rows) for k, v in (("within", True), ("outside", False),
                                                                 ("not computed", None))}


def write_scoreboard(folder: Path, outcomes: list, pending: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Write ``scoreboard.json``, ``scoreboard.csv`` and ``index.html`` into ``folder``; returns the rows.

    ``outcomes`` are :class:`experiments.replications.StudyOutcome` (their run directories are subfolders of
    ``folder``); ``pending`` maps a study that cannot run yet to ``(title, reason)``. No timing enters these
    files, so identical data give identical files.
    """
    rows = [{k: r[k] for k in ROW_KEYS} for o in outcomes for r in o.rows]
    atomic_write_text(folder / "scoreboard.json", json.dumps(rows, indent=2) + "\n")
    scoreboard_frame(rows).to_csv(folder / "scoreboard.csv", index=False)
    sections = []
    for o in outcomes:
        c = counts(o.rows)
        figs = "".join(f"<img src='{html.escape(f)}' alt='{html.escape(Path(f).stem)}'>" for f in o.figures)
        gaps = "".join(f"<li class='outside'>{html.escape(r['figure'])}: {html.escape(r['note'])}</li>"
                       for r in o.rows if r["within"] is False) or "<li>none outside its band</li>"
        sections.append(
            f"<h2 id='{html.escape(o.study.name)}'>{html.escape(o.study.title)}</h2>"
            f"<p>Study <code>{html.escape(o.study.name)}</code>, config "
            f"<code>configs/replications/{html.escape(o.study.config.name)}</code>: {c['within']} figures within "
            f"their band, {c['outside']} outside, {c['not computed']} not computed. Its own report: "
            f"<a href='{html.escape(o.study.name)}/report.html'>{html.escape(o.study.name)}/report.html</a> "
            "(every table, the framework's statistics and the explanation of every gap).</p>" + figs
            + scoreboard_html(o.rows, "the paper", blind=o.study.blind) + "<p><b>Figures outside their band, and why</b>:</p><ul>"
            + gaps + "</ul>")
    for name, (title, reason) in pending.items():
        sections.append(f"<h2 id='{html.escape(name)}'>{html.escape(title)}</h2><p>Study "
                        f"<code>{html.escape(name)}</code>: {html.escape(reason)}. No figures are shown.</p>")
    total = counts(rows)
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Replication scoreboard</title>"
            f"<style>{CSS}</style></head><body><h1>Replication scoreboard</h1><p>{len(outcomes)} studies, "
            f"{len(rows)} figures: {total['within']} within the band stated in the study's config, "
            f"{total['outside']} outside, {total['not computed']} not computed. A figure "
            "outside its band is shown as such; bands are never widened after the fact. Each section says whether "
            "its bands were written blind.</p>"
            + "".join(sections) + "</body></html>\n")
    atomic_write_text(folder / "index.html", page)
    return rows


def read_scoreboard(path: Path) -> list[dict[str, Any]]:
    """Rows of a ``scoreboard.json``; anything else is refused with one line naming the file."""
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FactorRegimesError(f"{path}: not a readable scoreboard.json ({exc})") from None
    if not isinstance(rows, list) or any(not isinstance(r, dict) or tuple(r) != ROW_KEYS for r in rows):
        raise FactorRegimesError(f"{path}: not a scoreboard (a list of rows with keys {', '.join(ROW_KEYS)})")
    return rows


def scoreboard_markdown(rows: list[dict[str, Any]]) -> str:
    """The README's scoreboard: one table per study, the reasons of figures outside their band, the pending studies."""
    from experiments.replications import PENDING, STUDIES

    studies = list(dict.fromkeys(r["study"] for r in rows))
    total = counts(rows)
    out = [f"**Replication scoreboard** (`factor-regimes replicate`; {len(studies)} studies, {len(rows)} figures: "
           f"{total['within']} within the band stated in the study's config, {total['outside']} outside, "
           f"{total['not computed']} not computed):"]
    for study in studies:
        known = STUDIES.get(study)() if study in STUDIES else None
        title = known.title if known else study
        when = ("bands written before its results were seen" if known is None or known.blind else
                "bands not blind: earlier figures of this study were public when they were written")
        mine = [r for r in rows if r["study"] == study]
        out += ["", f"*{title}* (`{study}`; {when})", "", "| figure | paper | here | band | status |",
                "|:---|---:|---:|:---|:---|"]
        out += [f"| {r['figure']} | {_num(r['paper'])} | {_num(r['value'])} | [{r['band_low']:g}, "
                f"{r['band_high']:g}] | {_status(r['within'])} |" for r in mine]
        outside = [r for r in mine if r["within"] is False]
        if outside:
            out += [""] + [f"- `{r['figure']}`: {r['note']}" for r in outside]
    for name, (title, reason) in PENDING.items():
        out += ["", f"*{title}* (`{name}`): {reason}."]
    return "\n".join(out)


def update_readme(readme: Path, text: str) -> None:
    """Replace the text between :data:`START` and :data:`END` in ``readme`` with ``text``."""
    content = Path(readme).read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise FactorRegimesError(f"{readme}: no '{START}' ... '{END}' markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(Path(readme), f"{head}{START}\n{text}\n{END}{tail}")


def readme_block(readme: Path) -> str:
    """The text between the markers (what :func:`update_readme` wrote)."""
    content = Path(readme).read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise FactorRegimesError(f"{readme}: no '{START}' ... '{END}' markers")
    return content.split(START, 1)[1].split(END, 1)[0].strip("\n")
