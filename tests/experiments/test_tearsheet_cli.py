"""``factor-regimes tearsheet`` end to end: files written, numbers checked against computations done here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.experiments.test_cli import run_cli


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("tearsheet-inputs")
    rng = np.random.default_rng(7)
    dates = pd.date_range("2010-01-31", periods=60, freq="BME")  # last business day of each month
    market = rng.normal(0.008, 0.04, 60)
    frame = pd.DataFrame({"alpha": 0.5 * market + rng.normal(0.004, 0.02, 60),
                          "beta": 1.2 * market + rng.normal(0.0, 0.01, 60),
                          "SPY": market}, index=pd.Index(dates, name="date"))
    frame.loc[dates[:6], "beta"] = np.nan  # starts later
    returns_csv = folder / "returns.csv"
    frame.to_csv(returns_csv, float_format="%.10g")
    regimes = pd.DataFrame({"hmm": np.clip(rng.uniform(-0.5, 1.5, 60), 0, 1)}, index=frame.index)
    regimes_csv = folder / "regimes.csv"
    regimes.to_csv(regimes_csv)
    return returns_csv, regimes_csv, pd.read_csv(returns_csv, index_col="date", parse_dates=True)


def _pct(value: float) -> str:
    return f"{value:.2%}"


def _section(html: str, name: str) -> str:
    start = html.index(f"id='tearsheet-{name}'")
    end = html.find("id='tearsheet-", start + 1)
    return html[start:end if end > 0 else len(html)]


def test_tearsheet_writes_its_files_and_the_numbers_match(inputs, tmp_path: Path) -> None:
    returns_csv, regimes_csv, frame = inputs
    out = tmp_path / "ts"
    result = run_cli("tearsheet", str(returns_csv), "--benchmark", "SPY", "--regimes", str(regimes_csv),
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "tearsheet.html" in result.stdout
    for name in ("tearsheet.html", "yearly_returns.csv", "drawdowns.csv", "summary.csv", "manifest.json",
                 "figures/tearsheet_alpha.png", "figures/tearsheet_beta.png"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "tearsheet" and manifest["frequency"] == "monthly" and manifest["benchmark"] == "SPY"
    html = (out / "tearsheet.html").read_text()
    assert "monthly returns (12 a year)" in html and "benchmark <code>SPY</code>" in html
    for name in ("alpha", "beta"):
        r = frame[name].dropna()
        section = _section(html, name)
        # yearly returns, compounded by hand
        for year in sorted(set(r.index.year)):
            growth = 1.0
            for value in r[r.index.year == year]:
                growth *= 1.0 + value
            assert f">{_pct(growth - 1.0)}<" in section, (name, year)
        spy_2012 = np.prod([1 + v for v in frame.loc[frame.index.year == 2012, "SPY"]]) - 1
        assert f">{_pct(spy_2012)}<" in section  # the benchmark's column beside the strategy's
        # deepest drawdown by a running-peak loop (the start counts as a peak of 1)
        wealth, peak, worst, trough = 1.0, 1.0, 0.0, None
        for date, value in r.items():
            wealth *= 1.0 + value
            peak = max(peak, wealth)
            if wealth / peak - 1.0 < worst:
                worst, trough = wealth / peak - 1.0, date
        table = section[section.index("<b>Worst drawdowns</b>"):]
        body = table[table.index("<tbody>"):]
        first_row = body[:body.index("</tr>")]
        assert f">{_pct(worst)}<" in first_row and f">{trough:%Y-%m-%d}<" in first_row
    # the summary table: CAGR of alpha by hand
    r = frame["alpha"].to_numpy()
    cagr = np.prod(1 + r) ** (12 / len(r)) - 1
    assert f">{_pct(cagr)}<" in html[:html.index("id='tearsheet-")]
    yearly = pd.read_csv(out / "yearly_returns.csv", index_col="year")
    assert yearly.loc[2010, "beta"] == pytest.approx(np.prod(1 + frame.loc["2010", "beta"].dropna().to_numpy()) - 1)
    assert yearly.loc[2011, "alpha"] == pytest.approx(np.prod(1 + frame.loc["2011", "alpha"].to_numpy()) - 1)


def test_tearsheet_replaces_its_own_folder_but_not_another(inputs, tmp_path: Path) -> None:
    returns_csv, _, _ = inputs
    out = tmp_path / "ts"
    assert run_cli("tearsheet", str(returns_csv), "--out", str(out)).returncode == 0
    again = run_cli("tearsheet", str(returns_csv), "--out", str(out))
    assert again.returncode == 0, again.stderr
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    refused = run_cli("tearsheet", str(returns_csv), "--out", str(other))
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "not a tearsheet folder" in refused.stderr
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    forced = run_cli("tearsheet", str(returns_csv), "--out", str(other), "--force")
    assert forced.returncode == 0, forced.stderr
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("mine.kept-")]
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "keep me"
    assert (other / "tearsheet.html").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


@pytest.mark.parametrize("mutate, message", [
    (lambda f: f.drop(index=f.index[[10, 11]]), "irregular dates: mostly monthly"),
    (lambda f: f.assign(alpha=f["alpha"].where(f.index != f.index[20])), "missing return on"),
    (lambda f: f.rename_axis("when"), "no 'date' column"),
    (lambda f: f.assign(alpha=f["alpha"] * 100 - 200), "above -1"),
])
def test_bad_returns_give_one_line_and_exit_2(inputs, tmp_path: Path, mutate, message) -> None:
    _, _, frame = inputs
    bad = tmp_path / "bad.csv"
    mutate(frame).to_csv(bad)
    result = run_cli("tearsheet", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and message in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_benchmark_column_is_named(inputs, tmp_path: Path) -> None:
    returns_csv, _, _ = inputs
    result = run_cli("tearsheet", str(returns_csv), "--benchmark", "QQQ", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "--benchmark 'QQQ': not a column" in result.stderr and len(result.stderr.strip().splitlines()) == 1
