"""Write a study result as a run directory (tables, manifest, figures, report).

Files (see the README for columns): ``config.yaml``, ``manifest.json``,
``metrics.csv``, ``forecast_metrics.csv``, ``regimes.csv``, ``returns.csv``,
``weights.csv``, ``forecasts.csv``, ``regime_breakdown.csv``,
``importance.csv``, ``statistics.json``, ``figures/*.png``, ``report.html``.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from experiments.config import dump_config
from experiments.run_result import to_json
from experiments.study import StudyResult, decision_range
from plumbing.atomic import atomic_write_text
from regimes.data.vintages import mixed_vintage_message, vintages

PACKAGES = ("factor-regimes", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "hmmlearn", "ruptures",
            "arch", "matplotlib", "pyyaml")
METRIC_COLUMNS = ["target", "regime_model", "forecaster", "base", "allocator", "ann_return", "ann_vol", "sharpe", "sortino",
                  "max_drawdown", "calmar", "turnover", "psr", "dsr", "sharpe_diff", "sharpe_diff_p",
                  "sharpe_diff_block", "sharpe_diff_p_hac", "spa_consistent",
                  "reality_check", "alpha_static", "alpha_static_t", "hlz_pass", "ir_static", "alpha_ff",
                  "alpha_ff_t", "ff_r2", "sharpe_ci_low", "sharpe_ci_high", "cagr", "skew", "excess_kurtosis",
                  "hit_rate", "worst_period", "exposure", "n_periods"]

#: What each entry of statistics.json (and each test column of metrics.csv) is, written beside the numbers.
STATISTICS_METHODS = {
    "sharpe_diff_p": "Ledoit & Wolf (2008) studentized circular block bootstrap test of equal Sharpe ratios "
                     "against the strategy's static benchmark, two-sided (block length: sharpe_diff_block, the "
                     "Politis-White optimal length of the moment series); the default test",
    "sharpe_diff_p_hac": "the same hypothesis with a Newey-West HAC standard error and the normal distribution "
                         "(a labelled alternative; over-rejects in samples of a few hundred months)",
    "spa": "Hansen's SPA (consistent, lower) and White's Reality Check p-values: does any strategy beat static?",
    "stepm": "Romano-Wolf StepM (arch.bootstrap.StepM, studentized, stationary bootstrap): the strategies whose "
             "mean net return exceeds static's, with the familywise error rate controlled at 'size'",
    "mcs": "Hansen, Lunde & Nason's Model Confidence Set (arch.bootstrap.MCS, range statistic, stationary "
           "bootstrap) of static and its strategies: the set that contains the strategy with the highest mean net "
           "return with probability 1 - size",
    "pbo": "probability of backtest overfitting by CSCV across every strategy of the run",
}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """Commit of the repository the code runs from, if any (with ``-dirty`` for local changes)."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("-dirty" if dirty else "")) if commit else None


def metrics_frame(result: StudyResult) -> pd.DataFrame:
    table = result.metrics.copy()
    cols = [c for c in METRIC_COLUMNS if c in table.columns]
    rest = [c for c in table.columns if c not in cols]
    return table[cols + rest]


def write_tables(result: StudyResult, run_dir: Path) -> None:
    """The CSV and JSON outputs of the comparison (:meth:`experiments.run_result.RunResult.save`)."""
    from experiments.run_result import RunResult
    RunResult.from_study(result, {}, names=[]).save(run_dir)


def write_analysis_figures(analyses: list, run_dir: Path, figures: bool = True) -> None:
    """Each analysis's figures (PNG; closed unsaved when ``figures`` is off)."""
    from experiments.figures.style import save
    for out in analyses:
        for name, fig in out.figures.items():
            if figures:
                save(fig, run_dir / "figures" / f"{name}.png")
            else:
                import matplotlib.pyplot as plt
                plt.close(fig)


def write_manifest(result: StudyResult | None, config: dict, run_dir: Path, started: str, finished: str,
                   timings: dict[str, float], config_hash: str, source: str, panel=None, records=None,
                   outputs: list[str] | None = None) -> dict:
    """Write ``manifest.json`` and ``config.yaml``; returns the manifest.

    ``started``/``finished`` (UTC) and ``seconds_by_stage`` live here only, never in the report, so
    identical inputs give an identical ``report.html``. ``outputs`` lists every file the run wrote
    (relative paths, ``manifest.json`` excepted): a later run may replace this directory only when
    it holds nothing else.
    """
    panel = panel if panel is not None else result.panel
    records = records if records is not None else panel.records
    mixed = mixed_vintage_message(records)
    notes = list(panel.notes) + ([mixed] if mixed and mixed not in panel.notes else [])
    manifest = {
        "name": config["name"], "config_hash": config_hash, "source": source,
        "sample_data": source == "sample", "seed": config["evaluation"]["seed"],
        "started": started, "finished": finished, "seconds_by_stage": {k: round(v, 3) for k, v in timings.items()},
        "evaluation_window": list(result.window) if result is not None else None,
        "periods_per_year": panel.periods_per_year, "versions": versions(),
        "decision_dates": None if result is None else decision_range(result.spec, result.panel.frame.index),
        "git_commit": git_commit(),
        "data_files": [r.to_dict() for r in records],
        "data_notes": notes,
        "vintages": vintages(records), "mixed_vintages": mixed or None,
        "regime_cache": {} if result is None else {label: path.info.get("cache", "off")
                                                   for label, path in result.regimes.items()},
        "missing_returns": {} if result is None else result.missing_returns,
        "regime_selection": {} if result is None else {label: path.info["selected"]  # per refit date
                                                       for label, path in result.regimes.items()
                                                       if path.info.get("selected")},
    }
    if outputs is not None:
        manifest["outputs"] = list(outputs)
    atomic_write_text(run_dir / "manifest.json", to_json(manifest))
    atomic_write_text(run_dir / "config.yaml", dump_config(config))
    return manifest
