"""``factor-regimes data``: inspect, fetch and align market data."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import (
    cache_dir_option,
    console,
    data_dir_option,
    quiet_option,
    reporter,
    resolve_source,
    source_option,
)
from plumbing.errors import FactorRegimesError
from regimes.data.catalog import CATALOG, DEFAULT_DOWNLOADS, PUBLISHERS
from regimes.data.sources import DataSource
from regimes.data.vintages import mixed_vintage_message


@cli.group()
def data() -> None:
    """Inspect, fetch and align market data."""


@data.command("info")
@source_option
@data_dir_option
@cache_dir_option
def data_info(source: str | None, data_dir: Path | None, cache_dir: Path | None) -> None:
    """List every series the source holds: file, first and last date, rows, rows with a missing value.

    Every file is fully parsed and validated; a malformed file stops the
    listing with an error naming the file and line.
    """
    src = resolve_source(source, data_dir, cache_dir)
    keys = src.keys()
    if src.name == "download":
        keys = [k for k in keys if src.cached(k)]  # type: ignore[attr-defined]
    table = Table(title=f"Series in {src.describe()}", title_justify="left")
    for col in ("series", "file", "first", "last", "rows", "missing", "vintage", "sha256"):
        table.add_column(col, justify="right" if col in ("rows", "missing") else "left", overflow="fold")
    records = []
    for key in keys:
        loaded = src.load(key)
        rec = loaded.record
        records.append(rec)
        missing = int(loaded.frame.isna().any(axis=1).sum())
        table.add_row(key, _short(rec.path, src), rec.first, rec.last, f"{rec.rows:,}", f"{missing:,}",
                      rec.vintage or "-", rec.sha256[:12])
    console.print(table)
    mixed = mixed_vintage_message(records)
    if mixed:
        console.print(escape(mixed))
    shadowed = getattr(src, "shadowed", dict)()
    for name, used in shadowed.items():
        console.print(f"Not read: {name} (its series reads {used}; candidate names are tried in order)")
    unused = [name for name in getattr(src, "unrecognised", lambda: [])() if name not in shadowed]
    if unused:
        console.print(f"Not used (no catalog entry): {', '.join(unused)}")
    if not keys:
        console.print("No series found." + (" Run `factor-regimes data fetch` first." if src.name == "download" else ""))
    if src.name == "sample":
        console.print("[bold]SAMPLE data[/bold]: shipped by installed packages, older vintages; for trying the "
                      "framework, not for research conclusions.")


def _short(path: str, src: DataSource) -> str:
    base = getattr(src, "directory", None) or getattr(src, "cache_dir", None)
    if base is not None:
        try:
            return str(Path(path).relative_to(base))
        except ValueError:
            pass
    return path


@data.command("fetch")
@click.option("--series", "series", multiple=True, type=click.Choice(sorted(k for k, s in CATALOG.items()
                                                                            if s.publisher)),
              help="Series to download (repeatable). Default: everything the panel uses.")
@cache_dir_option
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Total seconds allowed for each file's download (all attempts together).")
@click.option("--retries", type=click.IntRange(min=1), default=3, show_default=True, help="Attempts per file.")
@click.option("--mirror", "mirrors", multiple=True, metavar="PUBLISHER=URL",
              help=f"Fetch a publisher's files from another base URL (publishers: {', '.join(PUBLISHERS)}).")
@quiet_option
def data_fetch(series: tuple[str, ...], cache_dir: Path | None, timeout: float, retries: int,
               mirrors: tuple[str, ...], quiet: bool) -> None:
    """Download the official files from their publishers into the cache.

    Each payload is validated before it replaces a cached copy, and a
    manifest (URL, time, sha256, coverage) is written beside it. The S&P 500
    comes from Stooq's free CSV endpoint; if it is unavailable, put a
    Yahoo-layout GSPC.csv in a folder and use --data-dir.

    Standard output gets one line per file (fetched, or failed with its reason); progress goes to
    standard error (--quiet: none). A failure ends with one error line that does not repeat the reasons.
    """
    from experiments.progress import expect
    from regimes.data.download import OFFLINE_HINT, DownloadSource

    publishers: dict[str, str] = {}
    for item in mirrors:
        name, sep, url = item.partition("=")
        if not sep or name not in PUBLISHERS or not url:
            raise click.BadParameter(f"{item!r}: expected PUBLISHER=URL with PUBLISHER one of "
                                     f"{', '.join(PUBLISHERS)}", param_hint="--mirror")
        publishers[name] = url
    src = DownloadSource(cache_dir=cache_dir, publishers=publishers, timeout=timeout, retries=retries)
    keys = series or DEFAULT_DOWNLOADS
    failures: list[str] = []
    hint = False
    with reporter(quiet) as progress:
        expect(progress, "downloads", len(keys))
        for key in keys:
            progress("downloads", key)
            try:
                rec = src.fetch(key)
                console.print(f"fetched {key:<12} {rec.first}..{rec.last} {rec.rows:>6,} rows  -> {rec.path}",
                              soft_wrap=True)
            except FactorRegimesError as exc:
                text = str(exc)
                hint = hint or text.endswith(f"; {OFFLINE_HINT}")
                text = text.removesuffix(f"; {OFFLINE_HINT}")
                if len(keys) > 1:  # each reason once, on stdout; the error line names the keys only
                    console.print(f"failed  {key:<12} {escape(text)}", soft_wrap=True)
                    failures.append(key)
                else:
                    failures.append(f"{key}: {text}")
    if failures:
        what = "; ".join(failures) if len(keys) == 1 else f"{', '.join(failures)} (reasons above)"
        raise FactorRegimesError(f"{len(failures)} of {len(keys)} downloads failed; {what}"
                                 + (f"; {FETCH_HINT}" if hint else ""))


#: What a failed download suggests: only options of ``data fetch`` and of the commands that read data.
FETCH_HINT = ("try again later, with a longer --timeout or more --retries, or from a --mirror; the other "
              "commands also read local files (--data-dir DIR or FACTOR_REGIMES_DATA_DIR) or the offline sample")


@data.command("panel")
@source_option
@data_dir_option
@cache_dir_option
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None,
              help="Check the user's own panel CSV (date + columns) instead of the published files.")
@click.option("--frequency", type=click.Choice(["monthly", "weekly", "daily"]), default=None,
              help="Panel frequency [default: monthly; with --csv, inferred from the file]; weekly rows aggregate "
                   "the daily files.")
@click.option("--start", default=None, help="First decision date (YYYY-MM or YYYY-MM-DD).")
@click.option("--end", default=None, help="Last decision date.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write the panel to this CSV file (never a folder or a file in the data folder; an existing "
                   "file only with --force).")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
def data_panel(source: str | None, data_dir: Path | None, cache_dir: Path | None, csv_path: Path | None,
               frequency: str | None, start: str | None, end: str | None, out: Path | None, force: bool) -> None:
    """Build the aligned panel and print its coverage and missing-value report."""
    from experiments.outdir import check_output_file
    from regimes.panel import build_panel

    if csv_path is not None:
        if source is not None or data_dir is not None:
            raise click.BadParameter("--csv is a whole panel; drop --source and --data-dir", param_hint="--csv")
        from regimes.data import make_source
        src = make_source("csv", path=csv_path)
        protected = [csv_path]
    else:
        src = resolve_source(source, data_dir, cache_dir)
        frequency = frequency or "monthly"
        protected = [getattr(src, "directory", None), getattr(src, "cache_dir", None)]
    if out is not None:  # checked before anything is read or built
        out = check_output_file(out, force, protected=protected)
    panel = build_panel(src, frequency=frequency, start=start, end=end)
    table = Table(title=f"{panel.frequency} panel from {panel.source}: {len(panel.frame):,} rows",
                  title_justify="left")
    table.add_column("column")
    for col in panel.missing.columns:
        table.add_column(col, justify="right")
    for name, row in panel.missing.iterrows():
        table.add_row(str(name), *[str(v) for v in row])
    console.print(table)
    for note in panel.notes:
        console.print(f"- {note}")
    if out is not None:
        from plumbing.atomic import atomic_write_text
        try:
            atomic_write_text(out, panel.frame.to_csv(float_format="%.10g"))
        except OSError as exc:  # full or read-only disk: one line, nothing half-written (atomic)
            raise FactorRegimesError(f"{out}: cannot write the panel ({exc.strerror or exc})") from None
        console.print(f"wrote {out}")
