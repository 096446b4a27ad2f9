"""data.frequency daily and weekly, end to end: config -> preflight -> run directory.

Small configs (a few years, yearly refits) so each runs in seconds. Each checks against computations written
here: annualization by the data's periods per year (252 daily, 52 weekly), decision dates at the data's
frequency, and the 0/1 timing rule with its trading delay read back from ``regimes.csv`` and ``weights.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.regime_run import run_regimes
from experiments.runner import preflight, resolve, run_config
from regimes.panel import build_panel

_JUMP = "{name: jump, params: {n_init: 2}}"


def _run(tmp_path: Path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    located: dict = {}
    config = resolve(path, located_out=located)
    source = preflight(config, path, located)
    return run_config(config, tmp_path / "run", source=source, use_cache=False)


def _weights(run: Path, strategy: str) -> pd.Series:
    table = pd.read_csv(run / "weights.csv", parse_dates=["date"])
    return table[table["strategy"] == strategy].set_index("date")["weight"]


def _check_timing(run: Path, strategy: str, detector: str, delay: int) -> None:
    """Weight held at t = 1 when the filtered risk-off probability at t - delay was <= 0.5, else 0."""
    regimes = pd.read_csv(run / "regimes.csv", index_col="date", parse_dates=True)[detector]
    held = _weights(run, strategy).dropna().astype(float)
    decided = regimes.shift(delay).reindex(held.index)
    assert decided.notna().all()
    expected = (decided <= 0.5).astype(float)
    pd.testing.assert_series_equal(held, expected, check_names=False)
    assert 0 < held.mean() < 1  # both states occur, so the check has teeth


def _check_annualization(run: Path, periods_per_year: int, rf: pd.Series | None = None) -> None:
    """Metrics annualize by the data's periods per year, on the common window (in excess of ``rf`` if given)."""
    returns = pd.read_csv(run / "returns.csv", index_col="date", parse_dates=True).dropna()
    if rf is not None:
        returns = returns.sub(rf.reindex(returns.index), axis=0)
    metrics = pd.read_csv(run / "metrics.csv", index_col="strategy")
    assert set(metrics.index) == set(returns.columns)
    for strategy in returns.columns:
        r = returns[strategy]
        assert metrics.loc[strategy, "ann_vol"] == pytest.approx(r.std(ddof=1) * np.sqrt(periods_per_year))
        assert metrics.loc[strategy, "ann_return"] == pytest.approx(r.mean() * periods_per_year)


def test_daily_run_end_to_end(tmp_path: Path, shared_data: Path) -> None:
    """The published daily files: S&P 500 0/1 timing with a one-day delay, spans in the schedules."""
    outcome = _run(tmp_path, f"""
name: daily_small
data: {{source: local, dir: {shared_data}, frequency: daily, history_start: 2003-01-02, start: 2006-01,
        end: 2008-12}}
targets: [sp500_ret]
total_returns: true
features: [vix]
regimes:
  schedule: {{refit_every: 1Y, min_history: 2Y}}
  detectors: [{_JUMP}, {{name: vix_threshold}}]
forecasting:
  schedule: {{refit_every: 1Y, min_train: 2Y}}
  forecasters: [{{name: ridge}}]
allocation:
  trading_delay: 1
  cost_bps: 10
  allocators: [{{name: regime_switch}}, {{name: binary}}]
evaluation: {{bootstrap_reps: 20, spa_reps: 20, importance_repeats: 0}}
""")
    run = outcome.run_dir
    regimes = pd.read_csv(run / "regimes.csv", index_col="date", parse_dates=True)
    daily = build_panel(build_source(shared_data), "daily", start="2003-01-02").frame  # the last period ends in 2009
    # one decision per trading day
    assert regimes.index.equals(pd.DatetimeIndex(daily.loc[:"2008-12-31"].index, name="date"))
    # first fit two years after the first complete feature row (the 21-day return needs a month of data)
    first = regimes["jump"].first_valid_index()
    assert pd.Timestamp("2005-01-03") <= first <= pd.Timestamp("2005-02-28")
    assert regimes.loc[first:, "jump"].notna().mean() > 0.99
    _check_timing(run, "sp500_ret/regime_switch@jump", "jump", delay=1)
    _check_annualization(run, 252, rf=daily["RF"])
    html = (run / "report.html").read_text()
    assert "daily decisions" in html and "trading delay 1 period" in html and "sqrt(252)" in html


def build_source(folder: Path):
    from regimes.data.sources import LocalSource
    return LocalSource(folder)


@pytest.fixture(scope="module")
def weekly_csv(tmp_path_factory, shared_data: Path) -> Path:
    """A weekly panel CSV (Friday VIX and S&P 500 closes, 2000-2008) written from the published daily files."""
    frame = build_panel(build_source(shared_data), "daily", start="2000-01-03", end="2008-12-31").frame
    weekly = frame[["vix", "sp500"]].resample("W-FRI").last().dropna()
    path = tmp_path_factory.mktemp("weekly") / "weekly.csv"
    weekly.rename(columns={"vix": "VIX", "sp500": "SP500"}).to_csv(path, float_format="%.6f")
    return path


def test_weekly_run_end_to_end(tmp_path: Path, weekly_csv: Path) -> None:
    """The user's weekly CSV (columns taking the vix and sp500 roles; sp500_ret derived), no delay."""
    outcome = _run(tmp_path, f"""
name: weekly_small
data: {{source: csv, path: {weekly_csv}, frequency: weekly, history_start: 2000-01-07, start: 2004-01, end: 2008-12}}
targets: [sp500_ret]
features: [vix]
regimes:
  schedule: {{refit_every: 1Y, min_history: 3Y}}
  detectors: [{_JUMP}, {{name: vix_threshold}}]
forecasting:
  schedule: {{refit_every: 1Y, min_train: 3Y}}
  forecasters: [{{name: ridge}}]
allocation:
  allocators: [{{name: regime_switch}}]
evaluation: {{bootstrap_reps: 20, spa_reps: 20, importance_repeats: 0}}
outputs: {{figures: false, report: true}}
""")
    run = outcome.run_dir
    regimes = pd.read_csv(run / "regimes.csv", index_col="date", parse_dates=True)
    assert (regimes.index.day_of_week == 4).all() and regimes.index.to_series().diff().dropna().dt.days.max() <= 7
    _check_timing(run, "sp500_ret/regime_switch@jump", "jump", delay=0)
    _check_annualization(run, 52)
    assert outcome.result.panel.periods_per_year == 52


def test_regimes_run_on_a_daily_csv_with_vix_and_sp500_ret(tmp_path: Path, shared_data: Path) -> None:
    """``regimes run`` on the user's daily CSV holding only vix and sp500_ret: detectors at their defaults."""
    frame = build_panel(build_source(shared_data), "daily", start="2004-01-02", end="2008-12-31").frame
    csv = tmp_path / "daily.csv"
    frame[["vix", "sp500_ret"]].dropna().to_csv(csv, float_format="%.8g")
    (tmp_path / "config.yaml").write_text(f"""
name: daily_csv
data: {{source: csv, path: {csv}, frequency: daily, history_start: 2004-01-02, start: 2006-01, end: 2008-12}}
targets: [sp500_ret]
features: [vix]
regimes:
  schedule: {{refit_every: 1Y, min_history: 2Y}}
  detectors: [{{name: garch}}, {{name: bocpd}}, {{name: vix_threshold}}, {{name: changepoint}}]
outputs: {{figures: false, report: true}}
""")
    config = resolve(tmp_path / "config.yaml")
    outcome = run_regimes(config, tmp_path / "regimes_run", use_cache=False)
    table = pd.read_csv(outcome.run_dir / "regimes.csv", index_col="date", parse_dates=True)
    assert list(table.columns) == ["garch", "bocpd", "vix_threshold", "changepoint"]
    assert table.index.equals(pd.read_csv(csv, index_col="date", parse_dates=True).index.rename("date"))
    assert table.loc["2006-01-03":].notna().all().all() and table.loc[:"2005-12-30"].isna().any().all()
    assert outcome.manifest["decision_dates"]["frequency"] == "daily"


@pytest.mark.parametrize("text, message", [
    ("data: {frequency: hourly}\n", r"line 2: data\.frequency: 'hourly' is not one of monthly, weekly, daily"),
    ("data: {frequency: daily}\nregimes:\n  detectors:\n    - {name: hmm, frequency: monthly}\n",
     r"line 5: regimes\.detectors\.0\.frequency: monthly features with daily decisions"),
    ("regimes:\n  schedule: {refit_every: 12X}\n", r"line 3: regimes\.schedule\.refit_every: expected an integer "
                                                   r"\(periods\) or a span such as 1Y"),
    ("forecasting:\n  schedule: {min_train: 0Y}\n", r"line 3: forecasting\.schedule\.min_train: expected a span of "
                                                    r"at least 1 unit"),
    ("allocation: {trading_delay: -1}\n", r"line 2: allocation\.trading_delay: expected an integer >= 0"),
])
def test_frequency_and_schedule_faults_name_the_key_and_line(tmp_path: Path, text: str, message: str) -> None:
    from experiments.config import load_config
    from experiments.schema import ConfigError

    path = tmp_path / "c.yaml"
    path.write_text("name: x\n" + text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_spans_and_delay_reach_the_study(tmp_path: Path) -> None:
    from experiments.config import build_study, load_config

    path = tmp_path / "c.yaml"
    path.write_text("name: x\ndata: {source: sample, frequency: daily}\nregimes:\n  schedule: {refit_every: 1Y, "
                    "min_history: 5Y, window: rolling, window_length: 10Y}\nforecasting:\n  schedule: "
                    "{refit_every: 3M, min_train: 63D}\nallocation: {trading_delay: 1}\n")
    spec = build_study(load_config(path))
    assert spec.frequency == "daily" and spec.trading_delay == 1
    assert (spec.regime_schedule.refit_every, spec.regime_schedule.min_history,
            spec.regime_schedule.window_length) == ("1Y", "5Y", "10Y")
    assert (spec.forecast_schedule.refit_every, spec.forecast_schedule.min_train) == ("3M", "63D")
