"""A run's results as its run directory holds them: :class:`RunResult`, with ``save`` and ``load``.

The run directory is the serialized form of a :class:`RunResult`: ``save`` writes
it and ``load`` reads it back, frame for frame. A fresh result
(:meth:`RunResult.from_study`) already holds its numbers as written (the CSV
text parsed back), so the report, ``results`` and any analysis of a run read
the same values whether the run has just finished or was written years ago.

Files of the comparison (see the README for columns): ``metrics.csv``
(index ``strategy``), ``forecast_metrics.csv``, ``regimes.csv`` (index
``date``), ``returns.csv`` (index ``date``), ``weights.csv``,
``forecasts.csv``, ``regime_breakdown.csv``, ``importance.csv``,
``statistics.json``; of each analysis, the tables and JSON document its
:class:`experiments.analyses.AnalysisReport` declares; and ``manifest.json``
and ``config.yaml``.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from experiments.analyses import REPORTS, AnalysisOutput, AnalysisResult
from experiments.strategy_key import StrategyKey
from plumbing.atomic import atomic_write_text
from plumbing.errors import FactorRegimesError
from regimes.panel import infer_periods_per_year

FLOAT = "%.10g"
#: Comparison tables: attribute -> (file, number of index columns written).
TABLES = {"metrics": ("metrics.csv", 1), "forecast_metrics": ("forecast_metrics.csv", 0),
          "regimes": ("regimes.csv", 1), "returns": ("returns.csv", 1), "weights": ("weights.csv", 0),
          "forecasts": ("forecasts.csv", 0), "breakdown": ("regime_breakdown.csv", 0),
          "importance": ("importance.csv", 0), "market": ("market.csv", 1)}
#: Tables older run directories may lack (read as empty).
OPTIONAL_TABLES = ("market",)
#: Columns read as dates (besides a ``date`` index).
DATE_COLUMNS = ("date",)


def to_csv(frame: pd.DataFrame, index_levels: int) -> str:
    """The CSV text of a table as a run directory holds it (floats with 10 significant digits)."""
    return frame.to_csv(float_format=FLOAT, index=index_levels > 0)


def from_csv(text: str, index_levels: int) -> pd.DataFrame:
    """A table from its CSV text (:func:`to_csv`), ``date`` columns as dates.

    The pandas parser reads each decimal to the nearest double, so a table read back equals the table the
    text was written from to the digits written (the round-trip tests check it exactly).
    """
    if not text.strip():
        return pd.DataFrame()
    head = pd.read_csv(io.StringIO(text), nrows=0)
    names = list(head.columns)
    dates = [c for c in DATE_COLUMNS if c in names]
    frame = pd.read_csv(io.StringIO(text), index_col=list(range(index_levels)) if index_levels else None,
                        parse_dates=dates or False)
    if index_levels == 1 and frame.index.name == "date":
        frame.index = pd.DatetimeIndex(frame.index, name="date")
    return frame


def as_written(frame: pd.DataFrame, index_levels: int) -> pd.DataFrame:
    """``frame`` as it reads back from its CSV file."""
    return from_csv(to_csv(frame, index_levels), index_levels)


def _json_default(value):
    import numpy as np
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def to_json(data) -> str:
    return json.dumps(data, indent=2, default=_json_default)


@dataclass
class Comparison:
    """The comparison's tables and statistics (None fields: a run without the comparison)."""

    metrics: pd.DataFrame
    forecast_metrics: pd.DataFrame
    regimes: pd.DataFrame
    returns: pd.DataFrame
    weights: pd.DataFrame
    forecasts: pd.DataFrame
    breakdown: pd.DataFrame
    importance: pd.DataFrame
    statistics: dict
    #: The series betas are measured against when the run has no benchmark (the panel's ``Mkt-RF``, named
    #: ``market (Mkt-RF)``); no column when there is a benchmark or no market factor.
    market: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def keys(self) -> dict[str, StrategyKey]:
        """Strategy label -> :class:`StrategyKey`, from the key columns of ``metrics``."""
        return {name: StrategyKey.from_row(row, name) for name, row in self.metrics.iterrows()}

    @property
    def window(self) -> tuple[str, str]:
        return tuple(self.statistics["evaluation_window"])

    @property
    def spa(self) -> dict:
        return self.statistics.get("spa", {})

    @property
    def stepm(self) -> dict:
        return self.statistics.get("stepm", {})

    @property
    def mcs(self) -> dict:
        return self.statistics.get("mcs", {})

    @property
    def pbo(self) -> dict:
        return self.statistics.get("pbo", {})


@dataclass
class RunResult:
    """Everything a run directory holds but its figures and report.

    ``comparison`` is None for a run without the comparison (``comparison: false``); ``analyses`` follow
    the config's order. ``manifest`` is None until the runner has written it.
    """

    config: dict
    manifest: dict | None = None
    comparison: Comparison | None = None
    analyses: list[AnalysisResult] = field(default_factory=list)

    @property
    def periods_per_year(self) -> int | None:
        """Recorded in the manifest; inferred from the dates of ``returns.csv`` for older runs."""
        recorded = (self.manifest or {}).get("periods_per_year")
        if recorded:
            return int(recorded)
        if self.comparison is not None and len(self.comparison.returns) > 1:
            return infer_periods_per_year(self.comparison.returns.index)
        return None

    @classmethod
    def from_study(cls, study, config: dict, analyses: list[AnalysisOutput] = (), names: list[str] | None = None,
                   manifest: dict | None = None) -> RunResult:
        """The result of a fresh run: ``study`` (:class:`experiments.study.StudyResult` or None) and the
        outputs of the config's analyses (registered names ``names``, default: the config's), as written."""
        from experiments.rundir import STATISTICS_METHODS, metrics_frame
        from regimes.pipeline import risk_off_table

        comparison = None
        if study is not None:
            returns = pd.DataFrame({name: bt.returns for name, bt in study.backtests.items()})
            returns.index.name = "date"
            weights = pd.concat({name: bt.weights for name, bt in study.backtests.items()}, names=["strategy", "date"])
            weights = weights.stack(future_stack=True).rename("weight").reset_index()
            weights.columns = ["strategy", "date", "asset", "weight"]
            forecasts = pd.concat([fc.frame.assign(target=t, model=label)
                                   for (t, label), fc in study.forecasts.items()])
            raw = {"metrics": metrics_frame(study), "forecast_metrics": study.forecast_metrics,
                   "regimes": risk_off_table(study.regimes), "returns": returns,
                   "weights": weights[["date", "strategy", "asset", "weight"]],
                   "forecasts": forecasts.reset_index()[["date", "target", "model", "forecast", "realized"]],
                   "breakdown": study.breakdown, "importance": study.importance,
                   "market": market_frame(study, returns.index)}
            statistics = {"evaluation_window": list(study.window), "n_strategies": int(study.metrics.shape[0]),
                          "pbo": study.pbo, "spa": study.spa, "stepm": study.stepm, "mcs": study.mcs,
                          "methods": STATISTICS_METHODS}
            comparison = Comparison(**{k: as_written(v, TABLES[k][1]) for k, v in raw.items()},
                                    statistics=json.loads(to_json(statistics)))
        names = names if names is not None else [item["name"] for item in config.get("analyses") or []]
        results = [analysis_result(name, out) for name, out in zip(names, analyses)]
        return cls(config=config, manifest=manifest, comparison=comparison, analyses=results)

    def save(self, run_dir: str | Path) -> None:
        """Write the tables and JSON documents (and ``manifest.json``, ``config.yaml`` when set) to ``run_dir``."""
        run_dir = Path(run_dir)
        if self.comparison is not None:
            for attr, (name, levels) in TABLES.items():
                atomic_write_text(run_dir / name, to_csv(getattr(self.comparison, attr), levels))
            atomic_write_text(run_dir / "statistics.json", to_json(self.comparison.statistics))
        for out in self.analyses:
            declared = REPORTS[out.name]
            for stem, table in out.tables.items():
                atomic_write_text(run_dir / f"{stem}.csv", to_csv(table, _levels(declared.tables, stem, out.name)))
            if declared.json_name:
                atomic_write_text(run_dir / declared.json_name, to_json(out.data))
        if self.manifest is not None:
            atomic_write_text(run_dir / "manifest.json", to_json(self.manifest))
        if self.config:
            atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(self.config, sort_keys=False,
                                                                      default_flow_style=None))

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResult:
        """What :meth:`save` wrote to ``run_dir`` (analyses: those of ``config.yaml`` whose files exist)."""
        run_dir = Path(run_dir)
        manifest = _read_json(run_dir / "manifest.json", "run manifest")
        try:
            config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise FactorRegimesError(f"{run_dir / 'config.yaml'}: not a readable run config ({exc})") from None
        comparison = None
        if (run_dir / "metrics.csv").is_file():
            frames = {attr: from_csv(_read(run_dir / name), levels) for attr, (name, levels) in TABLES.items()
                      if attr not in OPTIONAL_TABLES or (run_dir / name).is_file()}
            comparison = Comparison(**frames, statistics=_read_json(run_dir / "statistics.json"))
        analyses = []
        for item in config.get("analyses") or []:
            declared = REPORTS.get(item["name"])
            if declared is None:
                continue
            tables = {stem: from_csv(_read(run_dir / f"{stem}.csv"), levels)
                      for stem, levels in declared.tables.items() if (run_dir / f"{stem}.csv").is_file()}
            data = _read_json(run_dir / declared.json_name) if declared.json_name else {}
            analyses.append(AnalysisResult(name=item["name"], title=declared.title, tables=tables, data=data))
        return cls(config=config, manifest=manifest, comparison=comparison, analyses=analyses)


def market_frame(study, index: pd.Index) -> pd.DataFrame:
    """What a run's betas are measured against without a benchmark: the panel's market factor at ``index``.

    Shape ``(len(index), 1)`` named ``market (Mkt-RF)``, or no column when the study has a benchmark (the
    benchmark's returns serve) or its panel has no ``Mkt-RF``. Values are dated like the returns they
    explain (the market's return over each period), so they are never used for a decision.
    """
    frame = pd.DataFrame(index=index)
    if not study.spec.benchmarks and "Mkt-RF" in study.panel.frame.columns:
        frame["market (Mkt-RF)"] = study.panel.frame["Mkt-RF"].reindex(index)
    return frame


def analysis_result(name: str, out: AnalysisOutput) -> AnalysisResult:
    """The fresh output of the analysis registered as ``name``, as its run directory will hold it."""
    declared = REPORTS[name]
    return AnalysisResult(name=name, title=declared.title,
                          tables={stem: as_written(t, _levels(declared.tables, stem, name))
                                  for stem, t in out.tables.items()},
                          data=json.loads(to_json(out.data)) if declared.json_name else {})


def _levels(declared: dict[str, int], stem: str, name: str) -> int:
    if stem not in declared:
        raise FactorRegimesError(f"analysis {name!r} wrote table {stem!r}, which its AnalysisReport does not declare")
    return declared[stem]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FactorRegimesError(f"{path}: cannot read a file of the run directory "
                                 f"({getattr(exc, 'strerror', None) or exc})") from None


def _read_json(path: Path, what: str = "JSON document") -> dict:
    try:
        value = json.loads(_read(path))
    except ValueError as exc:
        raise FactorRegimesError(f"{path}: not a readable {what} ({exc})") from None
    if not isinstance(value, dict):
        raise FactorRegimesError(f"{path}: not a {what} (a JSON object was expected)")
    return value
