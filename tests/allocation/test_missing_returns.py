"""A missing factor return is never 0 in a study: the strategies holding it are not live, and the run says so.

Issue #10 section 2: with 2008 removed from the momentum file, every UMD strategy, static included, used to earn
twelve months of 0.0. The reader now refuses a file with missing months, so the hole is made here in the
loaded series (the panel then holds NaN for UMD in 2008), and the study is run on that data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.study import StudySpec, run_study
from regimes.data.sources import DataSource, LoadedSeries, LocalSource
from tests import REPO

QUICKSTART = REPO / "configs" / "quickstart.yaml"


class _Hole(DataSource):
    """The shared data with the momentum factor's 2008 values removed (NaN)."""

    def __init__(self, base: DataSource):
        super().__init__()
        self.base = base
        self.name = base.name

    def has(self, key: str) -> bool:
        return self.base.has(key)

    def _load(self, key: str) -> LoadedSeries:
        loaded = self.base.load(key)
        frame = loaded.frame
        if key == "mom_monthly":
            frame = frame.copy()
            frame.loc["2008-01":"2008-12"] = np.nan
        return LoadedSeries(frame, loaded.record)


@pytest.fixture(scope="module")
def holed(local_source: LocalSource):
    spec = StudySpec(detectors=(), forecasters=({"name": "ridge"},),
                     allocators=({"name": "binary"}, {"name": "vol_target"}), start="2000-01", end="2012-12",
                     bootstrap_reps=50, spa_reps=50, importance_repeats=0)
    messages = []
    result = run_study(spec, _Hole(local_source), progress=lambda stage, detail="": messages.append(detail))
    return result, messages


def test_missing_momentum_returns_are_nan_not_zero(holed, local_source: LocalSource) -> None:
    result, messages = holed
    umd = local_source.load("mom_monthly").frame["Mom"]  # the untouched file, read independently
    hole = pd.date_range("2008-01-31", "2008-12-31", freq="ME")
    static = result.backtests["UMD/static"].returns
    assert static.loc[hole].isna().all(), "a missing return must not become 0.0 (cash)"
    # elsewhere static UMD earns UMD exactly (weight 1 never drifts; only the first period pays the entry cost)
    rest = static.drop(hole).iloc[1:]
    np.testing.assert_allclose(rest.to_numpy(), umd.reindex(rest.index).to_numpy(), atol=1e-15)
    vol = result.backtests["UMD/vol_target"].returns  # weights from daily volatility: live through 2008
    assert vol.loc[hole].isna().all() and vol.drop(hole).loc["2001":].notna().all()
    hml = result.backtests["HML/static"].returns
    assert hml.loc[hole].notna().all(), "HML has its returns in 2008"

    missing = result.missing_returns
    assert missing["periods"] == [d.date().isoformat() for d in hole]
    assert missing["assets"] == {"UMD": missing["periods"]}
    # static and vol_target hold UMD over all twelve months; binary/ridge uses lagged UMD as a feature, so it has
    # no forecast at the 2008 decision dates (not live for that reason) and meets the hole only in January 2008
    assert missing["strategies"] == {"UMD/static": 12, "UMD/vol_target": 12, "UMD/binary/ridge": 1}
    assert any("UMD has no return for 12 periods (2008-01-31..2008-12-31)" in m for m in messages)


def test_statistics_use_the_common_live_window(holed, local_source: LocalSource) -> None:
    result, _ = holed
    live = pd.DataFrame({name: bt.returns for name, bt in result.backtests.items()})
    live = live[np.isfinite(live.to_numpy()).all(axis=1)]
    assert result.returns.index.equals(live.index)
    assert not result.returns.loc["2008"].size
    every = pd.date_range(live.index[0], live.index[-1], freq="ME")
    assert result.missing_returns["window_periods"] == len(live)
    # 2008-01..2008-12 have no UMD return, and binary/ridge has no forecast at the decision date 2008-12-31
    # (its lagged-UMD feature is missing), so January 2009 leaves the common window too
    left_out = every.difference(live.index)
    assert list(left_out) == list(pd.date_range("2008-01-31", "2009-01-31", freq="ME"))
    assert result.missing_returns["dropped_inside_window"] == len(left_out) == 13
    # the HML static Sharpe ratio is computed on the common window, without 2008, from the raw factor file
    hml = local_source.load("ff3_monthly").frame["HML"].reindex(live.index)
    first = result.backtests["HML/static"].returns.first_valid_index()
    hml.loc[first] -= 10 / 1e4 if first in hml.index else 0.0  # the entry cost (weight 0 -> 1) of the first period
    expected = hml.mean() / hml.std(ddof=1) * np.sqrt(12)
    assert result.metrics.loc["HML/static", "sharpe"] == pytest.approx(expected, rel=1e-12)


def test_the_run_records_and_prints_the_missing_periods(holed, tmp_path) -> None:
    """The manifest records the affected periods and strategies; the terminal summary says it on one line."""
    import json

    from experiments.cli import run as cli
    from experiments.config import load_config
    from experiments.rundir import write_manifest
    from experiments.runner import RunOutcome
    result, _ = holed
    config = load_config(QUICKSTART)
    manifest = write_manifest(result, config, tmp_path, "start", "end", {"total": 1.0}, "hash", "local")
    recorded = json.loads((tmp_path / "manifest.json").read_text())["missing_returns"]
    assert recorded["strategies"]["UMD/static"] == 12 and len(recorded["periods"]) == 12
    with cli.console.capture() as captured:
        cli._print_summary(RunOutcome(run_dir=tmp_path, config=config, result=result, manifest=manifest))
    lines = [line for line in captured.get().splitlines() if line.startswith("missing returns:")]
    assert len(lines) == 1 and "UMD has no return for 12 periods (2008-01-31..2008-12-31)" in lines[0]
    assert "3 of " in lines[0] and f"common live window of {len(result.returns)} periods" in lines[0]
