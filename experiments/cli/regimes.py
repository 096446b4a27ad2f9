"""``factor-regimes regimes``: list detectors, plot walk-forward regimes, run the regime stage of a config.

Every command computes paths with the one regime pipeline (:mod:`regimes.pipeline`) at the same decision
dates: every month, week or business day (``data.frequency``) from the data's first date (``history_start``)
to its end. ``--start`` and ``--end`` of ``regimes plot`` only crop what is drawn and written, so a plot of
a config shows the paths its run uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape
from rich.table import Table

from experiments.cli._app import cli
from experiments.cli.common import (
    cache_dir_option,
    column_text,
    console,
    data_dir_option,
    quiet_option,
    reporter,
    resolve_source,
    set_option,
    source_option,
)
from plumbing.errors import FactorRegimesError


@cli.group()
def regimes() -> None:
    """Walk-forward regime detection: timelines, detector comparisons, detection-only runs."""


@regimes.command("list")
def regimes_list() -> None:
    """List the registered detectors with their default features and parameters.

    A parameter shows the value a config gets when it leaves the parameter out: the framework's default for
    the detector where it sets one, else the estimator's own. The last column shows what differs on a
    panel of another frequency (``data.frequency`` or the user's CSV).
    """
    from regimes.detectors import DETECTORS
    from regimes.specs import DEFAULTS

    table = Table(title="Regime detectors: default features and parameters (set any of them in a config's "
                        "regimes.detectors entry)", title_justify="left")
    for col in ("name", "features", "frequency", "parameters (defaults)", "on other panel frequencies"):
        table.add_column(col, overflow="fold")
    for name in DETECTORS.names():
        feats, freq, _ = DEFAULTS[name]
        defaults = detector_defaults(name)
        table.add_row(name, ", ".join(feats), freq,
                      escape(", ".join(f"{k}={v!r}" if v is not REQUIRED else f"{k} (required)"
                                       for k, v in defaults.items())),
                      escape(frequency_differences(name)))
    console.print(table)


def frequency_differences(name: str) -> str:
    """What detector ``name`` uses on each panel frequency where it differs from :data:`regimes.specs.DEFAULTS`.

    For example ``"daily: features log_vix, dd_log_5; jump_penalty=3.0"``; empty when nothing differs.
    """
    from regimes.specs import DEFAULTS, FREQUENCY_FEATURES, FREQUENCY_PARAMS

    parts = []
    for freq in ("daily", "weekly", "monthly"):
        items = []
        feats = FREQUENCY_FEATURES.get((name, freq))
        if feats is not None and tuple(feats) != tuple(DEFAULTS[name][0]):
            items.append("features " + ", ".join(feats))
        items += [f"{k}={v!r}" for k, v in FREQUENCY_PARAMS.get((name, freq), {}).items()]
        if items:
            parts.append(f"{freq}: " + "; ".join(items))
    return " | ".join(parts)


#: Marks a parameter without a default in :func:`detector_defaults`.
REQUIRED = object()


class _Seed:
    """The default of ``random_state``: the config's seed (printed as the key that sets it)."""

    def __repr__(self) -> str:
        return "evaluation.seed"


SEED = _Seed()


def detector_defaults(name: str) -> dict:
    """Every parameter of detector ``name`` with the value a config gets when it omits the parameter.

    The framework's defaults (:data:`regimes.specs.DEFAULTS`) override the estimator's signature defaults;
    ``random_state`` is the config's seed, shown as such.
    """
    import inspect

    from regimes.detectors import DETECTORS
    from regimes.specs import DEFAULTS

    signature = inspect.signature(DETECTORS.get(name))
    framework = DEFAULTS[name][2]
    out: dict = {}
    for param in DETECTORS.parameters(name):
        if param in framework:
            out[param] = framework[param]
        elif param == "random_state":
            out[param] = SEED
        else:
            default = signature.parameters[param].default
            out[param] = REQUIRED if default is inspect.Parameter.empty else default
    return out


@regimes.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run directory (default <runs-dir>/<config name>-<config hash>-regimes).")
@data_dir_option
@set_option
@click.option("--runs-dir", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
              help="Folder of the default run directory.")
@click.option("--no-cache", is_flag=True, help="Recompute regime paths instead of reusing cached ones.")
@click.option("--force", is_flag=True,
              help="Replace --out even when it is not a run directory of this config (never the current folder, "
                   "the config or the data).")
@quiet_option
def regimes_run(config: Path, out: Path | None, data_dir: Path | None, overrides: tuple[str, ...], runs_dir: Path,
                no_cache: bool, force: bool, quiet: bool) -> None:
    """Run only the regime stage of an experiment CONFIG and write a run directory.

    Writes config.yaml, manifest.json, regimes.csv (the filtered risk-off probability of every detector,
    the same numbers `run` writes for the config), regime_evaluation.csv, figures/ and report.html,
    atomically: an interrupted or failed run leaves nothing.
    """
    from experiments.regime_run import regime_run_dir, run_regimes
    from experiments.runner import resolve

    resolved = resolve(config, overrides, data_dir)
    run_dir = out or regime_run_dir(resolved, runs_dir)
    with reporter(quiet) as progress:
        protected = [Path.cwd(), runs_dir / "catalog.sqlite", config, data_dir or resolved["data"].get("dir")]
        outcome = run_regimes(resolved, run_dir, progress=progress, use_cache=not no_cache, force=force,
                              protected=tuple(p for p in protected if p is not None))
    table = outcome.evaluation
    view = Table(title=f"{escape(resolved['name'])}: regimes {outcome.manifest['decision_dates']['first']}.."
                       f"{outcome.manifest['decision_dates']['last']}", title_justify="left")
    cols = ("share_risk_off", "switches_per_year", "mean_duration", "agreement_others", "refits", "flip_share")
    view.add_column("detector")
    for col in cols:
        view.add_column(col, justify="right")
    texts = [column_text([_value(row.get(c)) for _, row in table.iterrows()]) for c in cols]
    for label, *cells in zip(table.index, *texts):
        view.add_row(escape(str(label)), *cells)
    console.print(view)
    if outcome.manifest.get("sample_data"):
        console.print("[bold]SAMPLE data[/bold]: paths show how the framework works, not research results.")
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in outcome.manifest["seconds_by_stage"].items())
    console.print(f"Run directory: {outcome.run_dir}  ({stages})")


def _value(value):
    """A numpy scalar as a Python number (what :func:`column_text` formats)."""
    return value.item() if hasattr(value, "item") else value


#: ``--frequency`` choices: the decision frequencies a config allows (:data:`experiments.config_tree.FREQUENCIES`,
#: not imported here to keep ``--help`` fast; a test checks they agree).
PLOT_FREQUENCIES = ("monthly", "weekly", "daily")


@regimes.command("plot")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Draw the regimes of an experiment CONFIG: its data, detectors, schedule and seed, i.e. the "
                   "paths `run` computes. Change it with --set; --detector then picks labels.")
@set_option
@click.option("--detector", "detectors", multiple=True,
              help="Registered detector (repeatable; default hmm); several also give a stacked comparison. With "
                   "--config: a detector label of the config.")
@click.option("--param", "params", multiple=True, metavar="DETECTOR.KEY=VALUE",
              help="Detector parameter (value parsed as YAML), e.g. hmm.n_states=3.")
@click.option("--features", "feature_lists", multiple=True, metavar="DETECTOR=F1,F2",
              help="Features of a detector, e.g. hmm=log_vix,rv.")
@source_option
@data_dir_option
@cache_dir_option
@click.option("--start", default=None,
              help="First date drawn (default: the config's data.start, else 2000-01). It crops the figure and "
                   "regimes CSV only: detectors always walk forward from --history-start.")
@click.option("--end", default=None, help="Last date drawn (default: the config's data.end, else the end of data).")
@click.option("--history-start", default=None, help="First date of data the detectors learn from [default: 1990-01].")
@click.option("--frequency", type=click.Choice(PLOT_FREQUENCIES), default=None,
              help="Decision frequency (data.frequency): the detectors walk forward over every month end, week end "
                   "or business day [default: monthly]. With --config: the config's (change it with --set "
                   "data.frequency=daily).")
@click.option("--refit-every", default=None, metavar="N|SPAN",
              help="Refit schedule: an integer N refits every N decision dates (months, weeks or trading days, by "
                   "--frequency); a calendar span means the same at any frequency: 1Y, 3M, 4W or 63D (D business "
                   "days, W weeks, M months, Y years) [default: 12].")
@click.option("--min-history", default=None, metavar="N|SPAN",
              help="History needed before the first fit: an integer N counts periods of --frequency (months, "
                   "weeks or trading days); a span (5Y, 126D) is calendar time [default: 60].")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Detector seed [default: 0].")
@click.option("--no-cache", is_flag=True, help="Recompute regime paths instead of reusing cached ones.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("figures"), show_default=True,
              help="Folder for the PNG files and the regimes CSV.")
@quiet_option
def regimes_plot(config_path: Path | None, overrides: tuple[str, ...], detectors: tuple[str, ...],
                 params: tuple[str, ...], feature_lists: tuple[str, ...], source: str | None, data_dir: Path | None,
                 cache_dir: Path | None, start: str | None, end: str | None, history_start: str | None,
                 frequency: str | None, refit_every: str | None, min_history: str | None, seed: int | None,
                 no_cache: bool, out: Path, quiet: bool) -> None:
    """Run detectors walk-forward (filtered, refit on data up to each date), plot them and write their paths.

    Files carry the detector label, its parameters and a hash of everything that defines the path (so a
    second plot never overwrites the first): regimes_<label>[_<params>]-<hash>.png per detector,
    regimes_comparison-<hash>.png for several, and one CSV named like the main figure with the filtered
    risk-off probability of every detector at the dates drawn (index date, one column per label).
    """
    from experiments.regime_run import config_source, regime_stage

    if out.exists() and not out.is_dir() or not out.exists() and os.path.lexists(out):
        raise FactorRegimesError(f"{out}: --out must be a folder (for the PNG files); this is not one")
    for option, value in (("--start", start), ("--end", end)):
        if value is not None:
            try:
                pd.Timestamp(str(value))
            except (TypeError, ValueError):
                raise FactorRegimesError(f"{option} {value!r}: expected a date YYYY-MM or YYYY-MM-DD") from None
    refit_every = schedule_length("--refit-every", refit_every, "refit_every")
    min_history = schedule_length("--min-history", min_history, "min_history")
    if config_path is not None:
        given = [name for name, value in (("--param", params), ("--features", feature_lists), ("--source", source),
                                          ("--cache-dir", cache_dir), ("--history-start", history_start),
                                          ("--frequency", frequency), ("--refit-every", refit_every),
                                          ("--min-history", min_history), ("--seed", seed))
                 if value not in (None, ())]
        if given:
            example = "data.frequency=daily" if "--frequency" in given else "regimes.schedule.refit_every=6"
            raise click.UsageError(f"{', '.join(given)} cannot be combined with --config; change the config with "
                                   f"--set (e.g. --set {example})")
        from experiments.runner import resolve
        config = resolve(config_path, overrides, data_dir)
        src = config_source(config)
        if detectors:  # compute only the labels asked for (each path is computed on its own: same numbers)
            items = {d.get("label") or d["name"]: d for d in config["regimes"]["detectors"]}
            unknown = [d for d in detectors if d not in items]
            if unknown:
                raise FactorRegimesError(f"--detector {unknown[0]!r} is not a detector label of {config_path} "
                                         f"(labels: {', '.join(items)})")
            config["regimes"]["detectors"] = [items[d] for d in dict.fromkeys(detectors)]
    else:
        if overrides:
            raise click.UsageError("--set needs --config")
        config = _plot_config(detectors or ("hmm",), params, feature_lists, end, history_start, frequency,
                              refit_every, min_history, seed)
        src = resolve_source(source, data_dir, cache_dir)
    with reporter(quiet) as progress:
        stage = regime_stage(config, src, use_cache=not no_cache, progress=progress)
        paths = stage.paths
        first = str(start or config["data"]["start"])
        last = end or config["data"]["end"]
        last = None if last is None else str(last)
        drawn = {label: _crop(path, first, last) for label, path in paths.items()}
        table, notes = _draw(drawn, stage, config, src, out, first, last, progress)
    console.print(table)
    for line in notes:
        console.print(line)


def schedule_length(option: str, text: str | None, key: str) -> int | str | None:
    """``--refit-every`` / ``--min-history`` as the schedule key ``key`` takes it, checked by that key's rule.

    An integer (decision periods) or a calendar span (``1Y``, ``3M``, ``4W``, ``63D``: :mod:`regimes.calendar`),
    exactly the values ``regimes.schedule.<key>`` accepts in a config (:mod:`experiments.config_tree`).

    Raises
    ------
    FactorRegimesError
        One line naming ``option`` and the value when the key's rule refuses it (``1Q``, ``0``, ``1.5``).
    """
    if text is None:
        return None
    from experiments.config_tree import RegimeSchedule
    from experiments.schema import rules

    try:
        value: int | str = int(text)
    except ValueError:
        value = text.strip()
    problem = rules(RegimeSchedule)[key].check(value)
    if problem:
        raise FactorRegimesError(f"{option} {text!r}: {problem}")
    return value


def _plot_config(detectors, params, feature_lists, end, history_start, frequency, refit_every, min_history,
                 seed) -> dict:
    """The config a plot without ``--config`` stands for: the defaults, its detectors, frequency and schedule."""
    import yaml

    from experiments.config import deep_merge
    from experiments.config_tree import tree_defaults
    from regimes.specs import DetectorSpec

    overrides: dict[str, dict] = {d: {} for d in detectors}
    for item in params:
        key, sep, value = item.partition("=")
        det, dot, name = key.partition(".")
        if not sep or not dot or det not in overrides:
            raise click.BadParameter(f"{item!r}: expected DETECTOR.KEY=VALUE for one of {', '.join(detectors)}",
                                     param_hint="--param")
        try:
            overrides[det][name] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise click.BadParameter(f"{item!r}: the value is not valid YAML ({' '.join(str(exc).split())})",
                                     param_hint="--param") from None
    feats: dict[str, list[str]] = {}
    for item in feature_lists:
        det, sep, value = item.partition("=")
        if not sep or det not in overrides or not value:
            raise click.BadParameter(f"{item!r}: expected DETECTOR=F1,F2", param_hint="--features")
        feats[det] = [v.strip() for v in value.split(",") if v.strip()]
    items = [{"name": d, "params": overrides[d], **({"features": feats[d]} if d in feats else {})} for d in detectors]
    for item in items:
        DetectorSpec.from_dict(item)  # unknown detector: one line naming the close matches
    given = {"history_start": history_start, "frequency": frequency, "refit_every": refit_every,
             "min_history": min_history, "seed": seed}
    given = {k: v for k, v in given.items() if v is not None}  # the others: an experiment config's defaults
    schedule = {k: given[k] for k in ("refit_every", "min_history") if k in given}
    return deep_merge(tree_defaults(), {
        "name": "regimes_plot",
        "data": {"end": end, **{k: given[k] for k in ("history_start", "frequency") if k in given}},
        "regimes": {"detectors": items, "schedule": schedule},
        "evaluation": {k: given[k] for k in ("seed",) if k in given}})


def _crop(path, first: str, last: str | None):
    """The path restricted to the dates drawn (values untouched: the walk covered the whole history)."""
    proba = path.proba.loc[first:last] if last else path.proba.loc[first:]
    if proba.dropna().empty:
        out = path.risk_off.first_valid_index()
        raise FactorRegimesError(f"{path.name}: no regime output between {first} and {last or 'the end of data'}"
                                 + (f" (its first output is at {out.date()})" if out is not None else ""))
    keep = (path.refit_dates >= proba.index[0]) & (path.refit_dates <= proba.index[-1])
    return replace(path, proba=proba, next_proba=path.next_proba.reindex(proba.index),
                   refit_dates=path.refit_dates[keep])


def _slug(text: str, limit: int = 60) -> str:
    text = re.sub(r"[^A-Za-z0-9._=+-]+", "-", text).strip("-")
    return text[:limit]


def plot_stem(spec, config: dict, source_text: str) -> str:
    """File stem of a detector's plot: label, the scalar parameters given, and a hash of what defines its path.

    Parameters filled from the defaults are left out of the readable part (a monthly default would
    mislabel a daily plot, whose frequency's default differs); the hash covers them all.
    """
    scalars = [f"{k}={v}" for k, v in sorted(spec.params.items())
               if isinstance(v, (int, float, str, bool)) and k not in spec.defaulted]
    identity = {"detector": {"name": spec.name, "label": spec.label, "features": list(spec.features),
                             "frequency": spec.frequency, "params": spec.params},
                "decisions": str(config["data"].get("frequency") or "monthly"),
                "schedule": config["regimes"]["schedule"], "seed": config["evaluation"]["seed"],
                "history_start": str(config["data"]["history_start"]), "end": str(config["data"]["end"]),
                "extra_csv": list(config["data"].get("extra_csv") or []), "source": source_text}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:8]
    readable = _slug("_".join([spec.label, *scalars]))
    return f"regimes_{readable}-{digest}"


def _draw(paths: dict, stage, config: dict, src, out: Path, first: str, last: str | None,
          progress=None) -> tuple[Table, list[str]]:
    """Write the figures and the CSV; returns the summary table and the lines to print after it."""
    from experiments.figures import regime_comparison, regime_timeline
    from experiments.figures.style import save
    from experiments.progress import expect
    from experiments.regime_run import write_regimes_csv
    from regimes.evaluation import path_summary

    specs = {s.label: s for s in stage.spec.detectors}
    stems = {label: plot_stem(specs[label], config, src.describe()) for label in paths}
    panel = stage.data.panel
    dates = next(iter(paths.values())).proba.index
    table = Table(title=f"Walk-forward regimes drawn {dates[0].date()}..{dates[-1].date()} (walked from "
                        f"{stage.data.dates[0].date()}; {escape(src.describe())})", title_justify="left")
    for col in ("detector", "risk-off share", "switches/yr", "Sep-2008", "Aug-2011", "Feb-2020", "file"):
        table.add_column(col, justify="left" if col in ("detector", "file") else "right")
    expect(progress, "figures", len(paths) + (len(paths) > 1))
    for label, path in paths.items():
        if progress is not None:
            progress("figures", label)
        file = save(regime_timeline(path, panel), out / f"{stems[label]}.png")
        s = path_summary(path.risk_off)
        delay = ["-" if s[k] != s[k] else f"{s[k]:.0f}" for k in ("delay_Sep-2008", "delay_Aug-2011", "delay_Feb-2020")]
        table.add_row(escape(label), f"{s['share_risk_off']:.2f}", f"{s['switches_per_year']:.2f}", *delay,
                      escape(str(file)))
    main = stems[next(iter(paths))]
    if len(paths) > 1:
        digest = hashlib.sha256("|".join(stems.values()).encode()).hexdigest()[:8]
        main = f"regimes_comparison-{digest}"
        if progress is not None:
            progress("figures", "comparison")
        save(regime_comparison(list(paths.values()), panel), out / f"{main}.png")
    csv = write_regimes_csv(paths, out / f"{main}.csv")
    unit = {"monthly": "months", "weekly": "weeks", "daily": "trading days"}.get(str(panel.frequency), "periods")
    notes = [f"Delays: {unit} from the onset to the first filtered risk-off label ('-': none within a year)."]
    if len(paths) > 1:
        notes.append(f"Comparison: {out / (main + '.png')}")
    notes.append(f"Regime paths (dates drawn): {csv}")
    return table, notes
