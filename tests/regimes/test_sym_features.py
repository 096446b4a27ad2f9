"""Shu, Yu & Mulvey (2024) features: downside deviation and Sortino ratios against a direct computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import FactorRegimesError
from regimes.features import SYM_HALFLIVES, build_features
from regimes.panel import Panel


def _panel(ret: np.ndarray, frequency: str = "daily") -> Panel:
    freq = "B" if frequency == "daily" else "ME"
    index = pd.date_range("2001-01-01", periods=len(ret), freq=freq, name="date")
    return Panel(frame=pd.DataFrame({"sp500_ret": ret}, index=index), frequency=frequency, source="test",
                 records=[], missing=pd.DataFrame())


def _direct(ret: np.ndarray, halflife: float) -> tuple[np.ndarray, np.ndarray]:
    """EW mean and downside deviation written out: weights 0.5 ** ((t - s) / h) over s <= t."""
    n = len(ret)
    mean, dd = np.full(n, np.nan), np.full(n, np.nan)
    for t in range(n):
        w = 0.5 ** ((t - np.arange(t + 1)) / halflife)
        r = ret[: t + 1]
        mean[t] = np.sum(w * r) / w.sum()
        dd[t] = np.sqrt(np.sum(w * np.minimum(r, 0.0) ** 2) / w.sum())
    dd[dd == 0] = np.nan  # no negative return yet: the documented rule says undefined
    return mean, dd


@pytest.mark.parametrize("days", SYM_HALFLIVES)
def test_against_direct_computation(days: int) -> None:
    rng = np.random.default_rng(days)
    ret = 0.01 * rng.standard_t(4, 400)
    got = build_features(_panel(ret), [f"dd_log_{days}", f"sortino_{days}"])
    mean, dd = _direct(ret, days)
    warm = int(np.ceil(2 * days))
    assert got.iloc[: warm - 1].isna().all().all()
    np.testing.assert_allclose(got[f"dd_log_{days}"].to_numpy()[warm - 1:], np.log(dd)[warm - 1:], rtol=1e-10)
    np.testing.assert_allclose(got[f"sortino_{days}"].to_numpy()[warm - 1:], (mean / dd)[warm - 1:], rtol=1e-9)


def test_no_downside_yet_is_missing_not_minus_infinity() -> None:
    ret = np.r_[np.full(30, 0.01), -0.02, np.full(10, 0.01)]
    got = build_features(_panel(ret), ["dd_log_5", "sortino_5"])
    assert got.iloc[:30].isna().all().all()
    assert np.isfinite(got.iloc[30:].to_numpy()).all()


def test_prefix_invariance() -> None:
    rng = np.random.default_rng(0)
    ret = 0.01 * rng.standard_normal(300)
    names = [f"{kind}_{d}" for d in SYM_HALFLIVES for kind in ("dd_log", "sortino")]
    full = build_features(_panel(ret), names)
    for t in (50, 150, 299):
        pd.testing.assert_frame_equal(build_features(_panel(ret[: t + 1]), names), full.iloc[: t + 1])
    changed = ret.copy()
    changed[200:] = 0.05 * rng.standard_normal(100)
    pd.testing.assert_frame_equal(build_features(_panel(changed), names).iloc[:200], full.iloc[:200])


def test_monthly_panel_converts_the_half_life_and_refuses_under_one_period() -> None:
    rng = np.random.default_rng(1)
    ret = 0.04 * rng.standard_normal(120)
    got = build_features(_panel(ret, "monthly"), ["sortino_21"])  # 21 trading days = one month
    mean, dd = _direct(ret, 1.0)
    np.testing.assert_allclose(got["sortino_21"].to_numpy()[1:], (mean / dd)[1:], rtol=1e-9)
    with pytest.raises(FactorRegimesError, match="half-life of 5 trading days"):
        build_features(_panel(ret, "monthly"), ["dd_log_5"])
