"""The ``factor-regimes`` command line.

Errors caused by the user's input (bad data, bad config, failed download) end
with one line on standard error and exit status 2; ``--debug`` shows the
traceback instead. Usage errors (unknown option, missing argument) also exit
with status 2, as click does.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from experiments.cli_common import (
    cache_dir_option,
    console,
    data_dir_option,
    err_console,
    resolve_source,
    source_option,
)
from experiments.cli_regimes import regimes
from regimes.data.catalog import CATALOG, DEFAULT_DOWNLOADS, PUBLISHERS
from regimes.data.sources import DataSource
from regimes.data.vintages import mixed_vintage_message
from regimes.errors import FactorRegimesError, FactorRegimesWarning


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.version_option(package_name="factor-regimes")
def cli(debug: bool) -> None:
    """factor-regimes: market regimes and regime-aware timing of the momentum (UMD) and value (HML) factors.

    Every number used for a decision at date t is computed from data dated <= t.
    """


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
def data_fetch(series: tuple[str, ...], cache_dir: Path | None, timeout: float, retries: int,
               mirrors: tuple[str, ...]) -> None:
    """Download the official files from their publishers into the cache.

    Each payload is validated before it replaces a cached copy, and a
    manifest (URL, time, sha256, coverage) is written beside it. The S&P 500
    comes from Stooq's free CSV endpoint; if it is unavailable, put a
    Yahoo-layout GSPC.csv in a folder and use --data-dir.
    """
    from regimes.data.download import DownloadSource

    publishers: dict[str, str] = {}
    for item in mirrors:
        name, sep, url = item.partition("=")
        if not sep or name not in PUBLISHERS or not url:
            raise click.BadParameter(f"{item!r}: expected PUBLISHER=URL with PUBLISHER one of "
                                     f"{', '.join(PUBLISHERS)}", param_hint="--mirror")
        publishers[name] = url
    src = DownloadSource(cache_dir=cache_dir, publishers=publishers, timeout=timeout, retries=retries)
    keys = series or DEFAULT_DOWNLOADS
    failures: list[tuple[str, FactorRegimesError]] = []
    for key in keys:
        try:
            rec = src.fetch(key)
            console.print(f"fetched {key:<12} {rec.first}..{rec.last} {rec.rows:>6,} rows  -> {rec.path}")
        except FactorRegimesError as exc:
            if len(keys) > 1:  # progress on stdout; the one error line on stderr names the first failure
                console.print(f"failed  {key:<12} {escape(str(exc))}", soft_wrap=True)
            failures.append((key, exc))
    if failures:
        key, exc = failures[0]
        raise FactorRegimesError(f"{len(failures)} of {len(keys)} downloads failed; {key}: {exc}")


@data.command("panel")
@source_option
@data_dir_option
@cache_dir_option
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None,
              help="Check the user's own panel CSV (date + columns) instead of the published files.")
@click.option("--frequency", type=click.Choice(["monthly", "weekly", "daily"]), default=None,
              help="Panel frequency [default: monthly; with --csv, inferred from the file]; weekly only with --csv.")
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
        from regimes.data.sources import make_source
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
        from regimes.atomic import atomic_write_text
        try:
            atomic_write_text(out, panel.frame.to_csv(float_format="%.10g"))
        except OSError as exc:  # full or read-only disk: one line, nothing half-written (atomic)
            raise FactorRegimesError(f"{out}: cannot write the panel ({exc.strerror or exc})") from None
        console.print(f"wrote {out}")


@cli.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run directory (default runs/<config name>-<config hash>). An existing path is replaced only "
                   "when it is a run directory of the same config; otherwise the run is refused.")
@data_dir_option
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set data.start=2005-01 (repeatable; value parsed as YAML).")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Folder of run directories and of the run catalog.")
@click.option("--no-cache", is_flag=True, help="Recompute regime paths instead of reusing cached ones.")
@click.option("--force", is_flag=True,
              help="Replace the run directory even if it is not a run of this config (its contents are deleted). "
                   "Never replaces a folder holding the current folder, the catalog, the config or the data.")
def run_command(config: Path, out: Path | None, data_dir: Path | None, overrides: tuple[str, ...], runs_dir: Path,
                no_cache: bool, force: bool) -> None:
    """Run an experiment CONFIG (YAML) and write its run directory: tables, figures, report.html.

    The output location is checked before anything is computed, and two runs writing the same
    directory wait for each other. A failed or interrupted run leaves an earlier finished run of
    the config, and its catalog record, as they were.
    """
    import signal

    from experiments.catalog import Catalog
    from experiments.outdir import RunTargetError
    from experiments.runner import default_run_dir, preflight, resolve, run_config

    located: dict = {}
    resolved = resolve(config, overrides, data_dir, located_out=located)
    run_dir = out or default_run_dir(resolved, runs_dir)
    Catalog.check_writable(runs_dir)
    # every data file read and checked, and the config's names checked against the data, before
    # anything is written: a refused run leaves no run directory and no catalog record
    source = preflight(resolved, config, located)
    protected = [Path.cwd(), Path.home(), runs_dir / "catalog.sqlite", config,
                 data_dir or resolved["data"].get("dir")]

    def terminate(signum, frame):  # SIGTERM cleans up like Ctrl-C: temporary folder removed, lock released
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with console.status("starting") as status:
            def progress(stage: str, detail: str = "") -> None:
                if stage == "waiting":
                    err_console.print(escape(detail))
                status.update(f"[bold]{stage}[/bold] {escape(detail)}")
            try:
                outcome = run_config(resolved, run_dir, progress=progress, use_cache=not no_cache, force=force,
                                     protected=[p for p in protected if p is not None],
                                     on_finish=lambda done: Catalog(runs_dir).record(done), source=source)
            except RunTargetError:
                raise  # refused or unwritable before anything ran: nothing to record
            except BaseException as exc:
                try:
                    Catalog(runs_dir).record_failure(resolved, run_dir, exc)
                except (FactorRegimesError, OSError):
                    pass  # the run's own error is the one to report
                raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    _print_summary(outcome)


def _print_summary(outcome) -> None:
    for out in outcome.analyses or []:
        for name, frame in out.tables.items():
            if len(frame) > 40:
                continue
            table = Table(title=f"{out.title}: {name}", title_justify="left")
            data = frame.reset_index()
            for col in data.columns:
                table.add_column(escape(str(col)), justify="left" if data[col].dtype == object else "right")
            for row in data.itertuples(index=False):
                table.add_row(*[escape(f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row])
            console.print(table)
    if outcome.manifest.get("mixed_vintages"):
        console.print(escape(outcome.manifest["mixed_vintages"]), soft_wrap=True)
    result = outcome.result
    if result is None:
        console.print(f"Run directory: {outcome.run_dir}")
        console.print(f"Report: {outcome.run_dir / 'report.html'}")
        return
    m = result.metrics.sort_values(["target", "sharpe"], ascending=[True, False])
    table = Table(title=f"{escape(outcome.config['name'])}: {len(m)} strategies, {result.window[0]}..{result.window[1]} "
                        f"(net of {outcome.config['allocation']['cost_bps']} bps)", title_justify="left")
    for col in ("strategy", "sharpe", "ann_return", "max_dd", "dsr", "p vs static"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for name, row in m.iterrows():
        p = row.get("sharpe_diff_p", float("nan"))
        table.add_row(escape(str(name)), f"{row['sharpe']:.2f}", f"{row['ann_return']:.2%}", f"{row['max_drawdown']:.1%}",
                      f"{row['dsr']:.2f}", "" if p != p else f"{p:.3f}")
    console.print(table)
    cut = outcome.manifest.get("decision_dates") or {}
    if cut.get("note"):
        console.print(f"[bold]Dates cut by the data[/bold]: {escape(cut['note'])}")
    if outcome.manifest.get("sample_data"):
        console.print("[bold]SAMPLE data[/bold]: numbers show how the framework works, not research results.")
    if result.missing_returns:
        console.print(escape(result.missing_returns["message"]), soft_wrap=True)
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in outcome.manifest["seconds_by_stage"].items())
    console.print(f"Run directory: {outcome.run_dir}  ({stages})")
    console.print(f"Report: {outcome.run_dir / 'report.html'}")


@cli.command("sweep")
@click.argument("sweep_file", type=click.Path(path_type=Path))
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="Local process pool, or a Dask cluster (a LocalCluster unless --scheduler is given). "
                   "Default: the sweep file's 'executor', else local.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes. Default: the sweep file's 'workers', else 2.")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786.")
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Run at most N pending runs, then stop.")
@data_dir_option
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override for every run.")
def sweep_command(sweep_file: Path, executor: str | None, workers: int | None, scheduler: str | None, runs_dir: Path,
                  max_runs: int | None, data_dir: Path | None, overrides: tuple[str, ...]) -> None:
    """Run a grid of configs (SWEEP_FILE); finished runs are skipped, so an interrupted sweep resumes."""
    from experiments.sweep import run_sweep

    extra = tuple(overrides) + (("data.source=local", f"data.dir={data_dir}") if data_dir else ())

    def event(kind: str, run, detail: str) -> None:
        console.print(f"{kind:<7} {run.hash}  {escape(' '.join(run.overrides[-3:]))}"
                      + (f"  {escape(detail)}" if detail and kind != "start" else ""))

    rows = run_sweep(sweep_file, runs_dir, executor, workers, scheduler, max_runs, extra, on_event=event)
    table = Table(title=f"Sweep {sweep_file.name}: {sum(r['status'] == 'done' for r in rows)} of {len(rows)} done",
                  title_justify="left")
    for col in ("config_hash", "overrides", "status", "best_sharpe", "best_strategy"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["config_hash"], escape(r["overrides"]), r["status"] + (" (earlier)" if r["skipped"] else ""),
                      "" if r["best_sharpe"] is None else f"{r['best_sharpe']:.2f}", escape(r["best_strategy"] or ""))
    console.print(table)
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        raise FactorRegimesError(f"{len(failed)} run(s) failed; first: {failed[0]['error']}")


@cli.command("results")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--readme", type=click.Path(path_type=Path), default=None,
              help="Replace the README's results section (between the results markers) instead of printing.")
def results_command(run_dirs: tuple[Path, ...], readme: Path | None) -> None:
    """Render the headline results of RUN_DIRS as Markdown (the README's Results section)."""
    from experiments.results import render, update_readme

    text = render(list(run_dirs))
    if readme is None:
        click.echo(text)
    else:
        update_readme(readme, text)
        console.print(f"updated {readme}")


@cli.group()
def runs() -> None:
    """The run catalog: list, compare and rank finished runs."""


runs_dir_option = click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"),
                               show_default=True)


@runs.command("list")
@runs_dir_option
def runs_list(runs_dir: Path) -> None:
    """Every run in the catalog with its status and best strategy."""
    from experiments.catalog import Catalog

    if not _has_catalog(runs_dir):
        console.print(f"No runs in {runs_dir} (no catalog there).")
        return
    frame = Catalog(runs_dir).list()
    if frame.empty:
        console.print(f"No runs in {runs_dir}.")
        return
    table = Table(title=f"Runs in {runs_dir}", title_justify="left")
    for col in ("config_hash", "name", "status", "finished", "window", "strategies", "best", "sharpe", "dsr"):
        table.add_column(col, overflow="fold")
    for _, r in frame.iterrows():
        status = r["status"] + (" (a rerun failed)" if r["status"] == "done" and r.get("last_failure") else "")
        table.add_row(r["config_hash"], escape(str(r["name"])), status, str(r["finished"] or ""),
                      f"{r['window_start'] or ''}..{r['window_end'] or ''}", str(r["n_strategies"] or ""),
                      escape(str(r["best_strategy"] or "")), _fmt(r["best_sharpe"]), _fmt(r["best_dsr"]))
    console.print(table)


def _has_catalog(runs_dir: Path) -> bool:
    """Whether ``runs_dir`` holds a catalog; commands that only read it never create one."""
    if os.path.lexists(runs_dir) and not runs_dir.is_dir():
        raise FactorRegimesError(f"{runs_dir}: is not a folder (--runs-dir names the folder of runs and their catalog)")
    return os.path.lexists(runs_dir / "catalog.sqlite")


def _fmt(value, digits: int = 2) -> str:
    return "" if value is None or value != value else f"{value:.{digits}f}"


@runs.command("compare")
@click.argument("refs", nargs=-1, required=True)
@runs_dir_option
@click.option("--metric", default="sharpe", show_default=True)
def runs_compare(refs: tuple[str, ...], runs_dir: Path, metric: str) -> None:
    """Runs side by side: the config values that differ, then METRIC by strategy and run.

    REFS: config hashes (or unique prefixes), run names (every run of that name) or run directories.
    Runs are keyed by config hash and shown as NAME (HASH): two runs that share a name are two columns.
    """
    from experiments.catalog import KEY_METRICS, Catalog
    from experiments.compare import compare_runs

    if metric not in KEY_METRICS:
        raise click.BadParameter(f"choose one of {', '.join(KEY_METRICS)}", param_hint="--metric")
    if not _has_catalog(runs_dir):
        raise FactorRegimesError(f"{runs_dir / 'catalog.sqlite'}: no run catalog (no runs recorded in {runs_dir}); "
                                 f"cannot find {', '.join(refs)}")
    parameters, values = compare_runs(Catalog(runs_dir), refs, metric)
    differ = Table(title=f"{len(parameters)} runs: config values that differ "
                         f"({len(parameters.columns) - 1} paths)", title_justify="left")
    differ.add_column("run", overflow="fold")
    for col in parameters.columns:
        differ.add_column(escape(str(col)), overflow="fold")
    for name, row in parameters.iterrows():
        differ.add_row(escape(str(name).rsplit(" (", 1)[0]), *[escape(str(v)) for v in row])
    console.print(differ)
    table = Table(title=f"{metric} by strategy and run", title_justify="left")
    table.add_column("strategy", overflow="fold")
    for col in values.columns:
        table.add_column(escape(str(col)), justify="right", overflow="fold")
    for name, row in values.iterrows():
        table.add_row(escape(str(name)), *[_fmt(v, 3) for v in row])
    console.print(table)


@runs.command("best")
@runs_dir_option
@click.option("--metric", default="sharpe", show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True)
def runs_best(runs_dir: Path, metric: str, top: int) -> None:
    """The best strategies across all finished runs, with the Sharpe deflated for how many were tried.

    The deflated Sharpe ratio's trial count is the number of distinct strategies tried, across every run of
    the catalog, for the same target and evaluation window.
    """
    from experiments.catalog import KEY_METRICS, LOWER_IS_BETTER, Catalog

    if metric not in KEY_METRICS:
        raise click.BadParameter(f"choose one of {', '.join(KEY_METRICS)}", param_hint="--metric")
    frame = Catalog(runs_dir).trials() if _has_catalog(runs_dir) else None
    if frame is None or frame.empty:
        console.print(f"No finished runs in {runs_dir}.")
        return
    frame = deflate_across_trials(frame)
    best = frame.sort_values(metric, ascending=metric in LOWER_IS_BETTER).head(top)
    n_runs = frame["config_hash"].nunique()
    table = Table(title=f"Top {top} of {len(frame)} distinct strategies across {n_runs} runs by "
                        f"{metric}. DSR trials: the strategies tried across the catalog for the same target and "
                        "evaluation window", title_justify="left")
    extra = [metric] if metric != "sharpe" else []
    for col in ("run", "config_hash", "strategy", *extra, "sharpe", "trials", "E[max sharpe] by luck",
                "dsr (own run)", "dsr (trials)"):
        table.add_column(escape(col), overflow="fold")
    for _, r in best.iterrows():
        table.add_row(escape(r["run"]), r["config_hash"], escape(r["strategy"]), *[_fmt(r[metric], 3) for _ in extra],
                      _fmt(r["sharpe"]), str(int(r["n_trials"])), _fmt(r["expected_max_sharpe"]), _fmt(r["dsr"]),
                      _fmt(r["dsr_trials"]))
    console.print(table)


def deflate_across_trials(frame, periods_per_year: int = 12):
    """Add ``expected_max_sharpe`` (annualized) and ``dsr_trials`` to :meth:`Catalog.trials` rows.

    Per (target, window): ``n_trials`` strategies and the variance of their per-period Sharpe ratios give
    the expected maximum Sharpe by luck (Bailey & Lopez de Prado 2014); the DSR is the probability that
    the true Sharpe exceeds it, with normal returns assumed (the catalog keeps no moments).
    """
    import numpy as np

    from allocation.stats import deflated_sharpe, expected_max_sharpe

    frame = frame.copy()
    per_period = frame["sharpe"] / periods_per_year ** 0.5
    frame["expected_max_sharpe"] = np.nan
    frame["dsr_trials"] = np.nan
    for _, idx in frame.groupby(["target", "window_start", "window_end"]).groups.items():
        sr = per_period.loc[idx]
        var = float(sr.var(ddof=1)) if len(sr) > 1 else 0.0
        frame.loc[idx, "expected_max_sharpe"] = expected_max_sharpe(len(sr), var) * periods_per_year ** 0.5
        frame.loc[idx, "dsr_trials"] = [deflated_sharpe(s, int(n), len(sr), var) if np.isfinite(s) and n else np.nan
                                        for s, n in zip(sr, frame.loc[idx, "n_periods"].fillna(0))]
    return frame


cli.add_command(regimes)  # regimes list | plot | run (experiments.cli_regimes)


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Print the framework's own warnings as one line ``warning: <message>`` on stderr while active.

    Other warnings (from libraries) keep Python's usual format; the previous
    ``warnings.showwarning`` is restored on exit.
    """
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 (warnings' signature)
        if issubclass(category, FactorRegimesWarning):
            text = " ".join(str(message).split())  # one line, whatever the message holds
            err_console.print(f"warning: {text}", soft_wrap=True, markup=False, emoji=False, highlight=False)
        else:
            previous(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user-input errors into one line and exit status 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        with one_line_warnings():
            cli.main(args=args, prog_name="factor-regimes", standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("interrupted")
        sys.exit(130)
    except click.ClickException as exc:  # a usage error (unknown option, bad value): one line, like every error
        if debug:
            raise
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        err_console.print(f"error: {escape(' '.join(exc.format_message().split()))}{escape(hint)}", soft_wrap=True)
        sys.exit(2)
    except FactorRegimesError as exc:
        if debug:
            raise
        err_console.print(f"error: {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_status)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
