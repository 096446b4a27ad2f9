"""The user's own panel (``data: {source: csv, path: FILE}``): round trip, roles, direct columns, faults.

Good files are written at test time from the real panel (``FACTOR_REGIMES_DATA_DIR``); each fault case
is one of them with one fault, run through the command line: exit status 2, one line, no traceback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.study import forecast_features
from plumbing.errors import DataError, FactorRegimesError
from regimes.data.csv_panel import CsvSource
from regimes.detectors import DETECTORS
from regimes.features import build_features
from regimes.panel import build_panel
from regimes.pipeline import detect as run_spec
from regimes.specs import DetectorSpec
from regimes.walkforward import Schedule

COLUMNS = ["vix", "sp500", "sp500_ret", "UMD", "HML", "Mkt-RF", "RF"]


def _write(frame: pd.DataFrame, path: Path, rename: dict | None = None) -> Path:
    out = frame.rename(columns=rename or {})
    out.index = out.index.strftime("%Y-%m-%d")
    out.to_csv(path, index_label="date", float_format="%.17g")
    return path


@pytest.fixture(scope="module")
def real(monthly_panel):
    return monthly_panel.frame.loc["1990-01":"2024-12", COLUMNS]


def test_round_trip_gives_the_same_numbers(real, tmp_path: Path) -> None:
    panel = build_panel(CsvSource(_write(real, tmp_path / "p.csv")), None)
    assert panel.frequency == "monthly" and panel.periods_per_year == 12 and panel.source == "csv"
    pd.testing.assert_frame_equal(panel.frame[COLUMNS], real, check_freq=False)
    # derived columns, against direct computations
    np.testing.assert_allclose(panel.frame["sp500_logret"], np.log(1 + real["sp500_ret"]), rtol=1e-15)
    np.testing.assert_allclose(panel.frame["drawdown"], real["sp500"] / real["sp500"].cummax() - 1)
    assert panel.records[0].rows == len(real) and panel.records[0].origin == "csv"
    # registered features work on it as on the published-data panel
    names = ["log_vix", "sp500_ret_1m", "mkt_ret"]
    csv_feats = build_features(panel, names)
    assert np.isfinite(csv_feats.to_numpy()).all()
    np.testing.assert_allclose(csv_feats["log_vix"], np.log(real["vix"]))


def test_first_of_month_dates_become_month_ends(real, tmp_path: Path) -> None:
    shifted = real[["vix"]].copy()
    shifted.index = shifted.index.to_period("M").to_timestamp()  # 1990-01-01, ...
    panel = build_panel(CsvSource(_write(shifted, tmp_path / "p.csv")), "monthly")
    assert panel.frame.index.equals(real.index)


def test_daily_and_weekly_files_are_recognised(tmp_path: Path) -> None:
    days = pd.bdate_range("2010-01-04", periods=300)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"vix": 15 + rng.random(300), "sp500_ret": 0.01 * rng.standard_normal(300)}, index=days)
    daily = build_panel(CsvSource(_write(frame, tmp_path / "d.csv")), None)
    assert daily.frequency == "daily" and daily.periods_per_year == 252
    weekly = build_panel(CsvSource(_write(frame.iloc[::5], tmp_path / "w.csv")), None)
    assert weekly.frequency == "weekly" and weekly.periods_per_year == 52
    with pytest.raises(DataError, match="expected monthly data"):
        build_panel(CsvSource(tmp_path / "d.csv"), "monthly")


def test_roles_are_matched_ignoring_case(real, tmp_path: Path) -> None:
    rename = {"vix": "VIX", "sp500_ret": "SP500_Ret", "UMD": "umd", "Mkt-RF": "mkt-rf", "RF": "rf"}
    panel = build_panel(CsvSource(_write(real, tmp_path / "p.csv", rename)), None)
    assert set(COLUMNS) <= set(panel.frame.columns)
    pd.testing.assert_frame_equal(panel.frame[COLUMNS], real, check_freq=False)
    assert any("VIX -> vix" in note for note in panel.notes)
    _write(real[["vix"]].assign(VIX=real["vix"]), tmp_path / "two.csv")
    with pytest.raises(DataError, match="both name the panel column 'vix'"):
        build_panel(CsvSource(tmp_path / "two.csv"), None)


def test_a_column_used_directly_as_detector_feature_forecast_feature_and_target(real, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    own = real[["vix", "sp500_ret"]].assign(
        stress=np.log(real["vix"]) + 0.05 * rng.standard_normal(len(real)),  # a user's own indicator
        my_factor=0.02 * rng.standard_normal(len(real)))
    panel = build_panel(CsvSource(_write(own, tmp_path / "p.csv")), None)
    spec = DetectorSpec.from_dict({"name": "hmm", "features": ["stress"]})
    path = run_spec(spec, {"monthly": panel}, panel.frame.loc["2000-01":].index, Schedule(12, min_history=60))
    risk_off = path.risk_off.dropna()
    assert len(risk_off) == 300
    # an HMM on a noisy log-VIX must say what an HMM on log-VIX says most of the time
    ref = run_spec(DetectorSpec.from_dict({"name": "hmm", "features": ["log_vix"]}), {"monthly": panel},
                   panel.frame.loc["2000-01":].index, Schedule(12, min_history=60)).risk_off
    assert ((risk_off > 0.5) == (ref > 0.5)).mean() > 0.85
    X = forecast_features(panel, ("stress", "vix"))
    pd.testing.assert_series_equal(X["stress"], panel.frame["stress"])
    np.testing.assert_array_equal(panel.forward_returns(["my_factor"])["my_factor"].to_numpy()[:-1],
                                  own["my_factor"].to_numpy()[1:])
    with pytest.raises(FactorRegimesError, match="nor is it a column of this panel"):
        build_features(panel, ["stres"])


def test_two_column_monthly_panel_runs_every_detector_at_its_defaults(real, tmp_path: Path) -> None:
    panel = build_panel(CsvSource(_write(real[["vix", "sp500_ret"]], tmp_path / "p.csv")), None)
    dates = panel.frame.loc["2000-01":].index
    paths = {}
    for name in DETECTORS.names():
        paths[name] = path = run_spec(DetectorSpec.from_dict({"name": name}), {"monthly": panel}, dates,
                                      Schedule(24, min_history=120), seed=0)
        values = path.risk_off.loc["2005-01":]
        assert values.notna().all() and values.between(-1e-12, 1 + 1e-12).all(), name
        assert path.risk_off.loc["2008-10-31"] > 0.5, name  # every detector sees October 2008
    assert paths["garch"].detector.min_history == 60  # fit on monthly returns, ranked after 60 months


# -- faults, through the command line -------------------------------------------------
def _config(tmp_path: Path, csv: Path) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: c\ndata:\n  source: csv\n  path: {csv}\n  start: '2000-01'\n  end: '2010-12'\n"
                    "  history_start: '1995-01'\ntargets: [UMD]\nfeatures: [vix]\n"
                    "regimes:\n  detectors:\n    - {name: vix_threshold}\n"
                    "evaluation: {bootstrap_reps: 50, spa_reps: 50, importance_repeats: 0}\n"
                    "outputs: {figures: false, report: false}\n")
    return path


def _text(real: pd.DataFrame) -> list[str]:
    frame = real.loc["1995-01":"2010-12", ["vix", "sp500_ret", "UMD"]]
    frame = frame.copy()
    frame.index = frame.index.strftime("%Y-%m-%d")
    return frame.to_csv(index_label="date", float_format="%.10g").splitlines()


def _fault(name: str, lines: list[str]) -> str:
    if name == "duplicate_date":
        lines.insert(10, lines[9])
    elif name == "non_numeric_cell":
        lines[20] = lines[20].rsplit(",", 1)[0] + ",abc"
    elif name == "unknown_frequency":
        lines = [lines[0], *lines[1::3]]  # quarterly
    elif name == "vix_in_decimals":
        lines = [lines[0]] + [f"{d},{float(v) / 100:.6g},{r},{u}" for d, v, r, u in (x.split(",") for x in lines[1:])]
    elif name == "return_in_percent":
        d, v, _, u = lines[30].split(",")
        lines[30] = f"{d},{v},-250,{u}"
    elif name == "no_date_column":
        lines[0] = "month,vix,sp500_ret,UMD"
    elif name == "empty_file":
        return ""
    elif name == "header_only":
        lines = lines[:1]
    elif name == "daily_file_for_monthly":
        days = pd.bdate_range("1995-01-02", "2010-12-31")
        lines = ["date,vix,sp500_ret,UMD"] + [f"{d:%Y-%m-%d},20,0.001,0.001" for d in days]
    return "\n".join(lines) + "\n"


FAULTS = {
    "duplicate_date": ["line 11", "duplicate date"],
    "non_numeric_cell": ["line 21", "abc"],
    "unknown_frequency": ["quarterly", "daily, weekly or monthly"],
    "vix_in_decimals": ["vix", "decimals"],
    "return_in_percent": ["line 31", "sp500_ret"],
    "no_date_column": ["line 1", "date"],
    "empty_file": ["p.csv"],
    "header_only": ["no data rows"],
    "daily_file_for_monthly": ["expected monthly data", "found daily"],
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_bad_panel_csv_is_one_clear_error(name: str, real, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text(_fault(name, _text(real)))
    runs = tmp_path / "runs"
    with pytest.raises(SystemExit) as info:
        main(["run", str(_config(tmp_path, csv)), "--runs-dir", str(runs)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert info.value.code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert "p.csv" in lines[0], lines[0]
    for text in FAULTS[name]:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    assert not runs.exists() or not any(runs.rglob("*.csv")), "a run was written"


def test_config_needs_a_path_for_source_csv(tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: c\ndata: {source: csv}\n")
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1 and "data.path" in err, err


def test_a_monthly_study_runs_end_to_end_on_the_users_panel(real, tmp_path: Path) -> None:
    import hashlib
    import json

    csv = _write(real[["vix", "sp500_ret", "UMD"]], tmp_path / "p.csv", {"vix": "VIX", "UMD": "umd"})
    config = tmp_path / "c.yaml"
    config.write_text(f"name: own\ndata: {{source: csv, path: {csv}, start: '2005-01', end: '2012-12', "
                      "history_start: '1995-01'}\ntargets: [UMD]\nfeatures: [vix, sp500_ret]\n"
                      "regimes:\n  schedule: {refit_every: 12, min_history: 120}\n"
                      "  detectors: [{name: vix_threshold}, {name: garch}]\n"
                      "forecasting: {forecasters: [{name: regime_only}]}\n"
                      "evaluation: {bootstrap_reps: 50, spa_reps: 50, importance_repeats: 0}\n"
                      "outputs: {figures: false, report: false}\n")
    main(["run", str(config), "--runs-dir", str(tmp_path / "runs")])
    run = next(p for p in (tmp_path / "runs").iterdir() if p.is_dir())  # the run, not the catalog beside it
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["source"] == "csv"
    assert manifest["data_files"][0]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    regimes = pd.read_csv(run / "regimes.csv")
    assert len(regimes) > 0 and "VIX -> vix" in " ".join(manifest["data_notes"])


def test_data_panel_command_checks_a_users_csv(real, tmp_path: Path, capsys) -> None:
    csv = _write(real[["vix", "sp500_ret"]], tmp_path / "p.csv", {"vix": "Vix"})
    main(["data", "panel", "--csv", str(csv), "--out", str(tmp_path / "out.csv")])
    out = capsys.readouterr().out
    assert "monthly panel from csv: 420 rows" in out and "Vix -> vix" in out
    written = pd.read_csv(tmp_path / "out.csv", index_col=0, parse_dates=True)
    np.testing.assert_allclose(written["vix"], real["vix"], rtol=1e-9)
    with pytest.raises(SystemExit) as info:
        main(["data", "panel", "--csv", str(csv), "--frequency", "daily"])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and len(err) == 1 and "expected daily data, found monthly data" in err[0]


def test_two_column_daily_panel_runs_every_detector_at_its_defaults(local_source, tmp_path: Path) -> None:
    daily = build_panel(local_source, "daily", start="2014-01-01").frame[["vix", "sp500_ret"]]
    panel = build_panel(CsvSource(_write(daily.loc[:"2020-12-31"].dropna(), tmp_path / "d.csv")), None)
    assert panel.frequency == "daily"
    dates = panel.frame.loc["2019-01-01":].index
    for name in DETECTORS.names():
        path = run_spec(DetectorSpec.from_dict({"name": name}), {"daily": panel}, dates,
                        Schedule(252, min_history=1000), seed=0)
        # markov_switching (statsmodels) can give 1 + 4e-16: compare with a rounding tolerance
        assert path.risk_off.notna().all() and path.risk_off.between(-1e-12, 1 + 1e-12).all(), name
        assert path.risk_off.loc["2020-03-16"] > 0.5, name  # every detector sees March 2020


def test_panel_rows_do_not_depend_on_later_rows_of_the_file(real, tmp_path: Path) -> None:
    full = build_panel(CsvSource(_write(real[["sp500", "vix"]], tmp_path / "full.csv")), None).frame
    cut = build_panel(CsvSource(_write(real.loc[:"2008-10-31", ["sp500", "vix"]], tmp_path / "cut.csv")), None).frame
    pd.testing.assert_frame_equal(cut, full.loc[:"2008-10-31"], check_freq=False)  # derived columns included
