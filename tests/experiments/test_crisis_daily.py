"""The crisis study at daily decisions, end to end (configs/crisis_study_daily.yaml on a short sample).

Checked against computations written here from the daily returns and the run's own files: a factor's
cumulative return over a window from the published daily returns, each detector's share of risk-off days
and its delay (in trading days) from ``regimes.csv``, each strategy's return over a window from
``returns.csv`` (to the 10 significant digits of the CSV files); the report states delays in trading days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.runner import preflight, resolve, run_config
from regimes.data.sources import LocalSource
from regimes.panel import build_panel
from tests import REPO

WINDOWS = {"Feb-2018 volatility": ("2018-02-01", "2018-03-31"), "2020 Covid": ("2020-02-15", "2020-04-15")}
DETECTORS = "[{name: jump, params: {n_init: 2}}, {name: vix_threshold}]"


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory, shared_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("crisis_daily")
    windows = ", ".join(f"{{name: {name}, start: {a}, end: {b}}}" for name, (a, b) in WINDOWS.items())
    path = folder / "config.yaml"
    path.write_text(f"""
extends: {REPO / 'configs' / 'crisis_study_daily.yaml'}
data: {{dir: {shared_data}, history_start: 2012-01-03, start: 2018-01, end: 2020-12}}
regimes: {{detectors: {DETECTORS}}}
forecasting: {{forecasters: [{{name: ridge}}]}}
allocation: {{allocators: [{{name: binary}}]}}
evaluation: {{bootstrap_reps: 20, spa_reps: 20, importance_repeats: 0}}
analyses:
  - name: crisis_study
    params: {{detectors: {DETECTORS}, windows: [{windows}]}}
""")
    located: dict = {}
    config = resolve(path, located_out=located)
    assert config["data"]["frequency"] == "daily" and config["allocation"]["trading_delay"] == 1
    source = preflight(config, path, located)
    return run_config(config, folder / "run", source=source, use_cache=False).run_dir


def test_factor_returns_from_the_daily_files(daily_run: Path, shared_data: Path) -> None:
    daily = build_panel(LocalSource(shared_data), "daily").frame
    factors = pd.read_csv(daily_run / "crisis_factors.csv", index_col="crisis")
    for name, (start, end) in WINDOWS.items():
        window = daily.loc[start:end]
        for factor in ("UMD", "HML"):
            assert factors.loc[name, f"{factor} return"] == pytest.approx(np.prod(1 + window[factor]) - 1, abs=1e-9)
        market = window["Mkt-RF"] + window["RF"]
        assert factors.loc[name, "Market return"] == pytest.approx(np.prod(1 + market) - 1, abs=1e-9)
        assert factors.loc[name, "days"] == len(window)


def test_detector_shares_and_delays_in_trading_days(daily_run: Path) -> None:
    regimes = pd.read_csv(daily_run / "regimes.csv", index_col="date", parse_dates=True)
    table = pd.read_csv(daily_run / "crisis_regimes.csv").set_index(["crisis", "detector"])
    assert "delay_days" in table.columns and "delay_months" not in table.columns
    flagged_somewhere = 0
    for name, (start, end) in WINDOWS.items():
        for detector in ("jump", "vix_threshold"):
            p = regimes.loc[start:end, detector]  # every trading day inside the calendar window
            assert p.notna().all() and len(p) > 20
            row = table.loc[(name, detector)]
            assert row["share_risk_off"] == pytest.approx(float((p > 0.5).mean()), abs=1e-9)
            assert row["p_at_start"] == pytest.approx(p.iloc[0], abs=1e-9)
            hits = [i for i, v in enumerate(p.to_numpy()) if v > 0.5]
            if hits:
                flagged_somewhere += 1
                assert row["delay_days"] == hits[0]  # trading days from the window's first trading day
            else:
                assert np.isnan(row["delay_days"])
    assert flagged_somewhere >= 2  # Covid is flagged: the delay check has teeth
    covid = table.loc[("2020 Covid", "vix_threshold")]
    assert covid["share_risk_off"] > 0.5


def test_strategy_returns_over_windows(daily_run: Path) -> None:
    returns = pd.read_csv(daily_run / "returns.csv", index_col="date", parse_dates=True)
    table = pd.read_csv(daily_run / "crisis_strategies.csv").set_index(["crisis", "strategy"])
    assert set(table.index.get_level_values("strategy")) == set(returns.columns)
    for name, (start, end) in WINDOWS.items():
        for strategy in returns.columns:
            r = returns.loc[start:end, strategy].dropna()
            assert table.loc[(name, strategy), "return"] == pytest.approx(np.prod(1 + r) - 1, abs=1e-9)


def test_report_states_daily_delays(daily_run: Path) -> None:
    html = (daily_run / "report.html").read_text()
    assert "Detection delay (trading days from the first trading day in the window" in html
    assert "Strategy returns over each window (daily, net)" in html
    assert "months from the first month end" not in html
