"""The command line as a user meets it: help, exit statuses, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from regimes.data.catalog import CATALOG
from tests import without_progress


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a subprocess (exit status and stderr as a user sees them, less progress lines)."""
    result = subprocess.run([sys.executable, "-m", "experiments.cli", *args], capture_output=True, text=True,
                            timeout=120)
    result.stderr = without_progress(result.stderr)
    return result


def test_help_documents_every_subcommand() -> None:
    top = run_cli("--help")
    assert top.returncode == 0 and "data" in top.stdout
    data = run_cli("data", "--help")
    for sub in ("info", "fetch", "panel"):
        assert sub in data.stdout
        sub_help = run_cli("data", sub, "--help")
        assert sub_help.returncode == 0 and "Usage:" in sub_help.stdout


def test_data_info_lists_every_series(shared_data: Path) -> None:
    result = run_cli("data", "info", "--data-dir", str(shared_data))
    assert result.returncode == 0, result.stderr
    for key in CATALOG:
        assert key in result.stdout
    assert "1927-01-31" in result.stdout and "2025-11-30" in result.stdout  # mom_monthly coverage


def test_malformed_file_gives_exit_2_and_one_line(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "F-F_Momentum_Factor.CSV").read_text().splitlines()
    lines[20] = "192801,  abc"
    (tmp_path / "F-F_Momentum_Factor.CSV").write_text("\n".join(lines))
    result = run_cli("data", "info", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    err = result.stderr.strip()
    assert "Traceback" not in result.stderr and len(err.splitlines()) == 1
    assert "F-F_Momentum_Factor.CSV, line 21: expected a number in column 'Mom', found 'abc'" in err
    debug = run_cli("--debug", "data", "info", "--data-dir", str(tmp_path))
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_missing_data_dir_and_bad_dates(tmp_path: Path) -> None:
    result = run_cli("data", "info", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "data directory not found" in result.stderr
    result = run_cli("data", "panel", "--source", "sample", "--start", "1900-01")
    assert result.returncode == 2 and "coverage 1926-07-31..2018-11-30" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_2() -> None:
    result = run_cli("data", "info", "--sauce", "local")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_panel_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "panel.csv"
    result = run_cli("data", "panel", "--source", "sample", "--start", "2000-01", "--end", "2016-12", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "SAMPLE DATA" in result.stdout
    import pandas as pd
    frame = pd.read_csv(out, index_col="date", parse_dates=True)
    assert len(frame) == 204 and list(tmp_path.iterdir()) == [out]


def test_fetch_through_a_mirror(shared_data: Path, tmp_path: Path) -> None:
    from tests.regimes.data.test_download import _Server, _zipped
    body = _zipped(shared_data / "F-F_Momentum_Factor.CSV", "F-F_Momentum_Factor.csv")  # the library's member name
    routes = {"/ftp/F-F_Momentum_Factor_CSV.zip": (200, body)}
    with _Server(routes) as server:
        ok = run_cli("data", "fetch", "--series", "mom_monthly", "--cache-dir", str(tmp_path),
                     "--mirror", f"french={server.url}/ftp")
        bad = run_cli("data", "fetch", "--series", "ff3_monthly", "--cache-dir", str(tmp_path), "--retries", "1",
                      "--mirror", f"french={server.url}/ftp")
    assert ok.returncode == 0, ok.stderr
    assert "fetched mom_monthly" in ok.stdout and "1927-01-31..2025-11-30" in ok.stdout
    assert bad.returncode == 2 and "1 of 1 downloads failed" in bad.stderr and "Traceback" not in bad.stderr
    info = run_cli("data", "info", "--source", "download", "--cache-dir", str(tmp_path))
    assert info.returncode == 0 and "mom_monthly" in info.stdout and "ff3_monthly" not in info.stdout


@pytest.mark.parametrize("mirror", ["nope=http://x", "french", "french="])
def test_bad_mirror_option(mirror: str, tmp_path: Path) -> None:
    result = run_cli("data", "fetch", "--cache-dir", str(tmp_path), "--mirror", mirror)
    assert result.returncode == 2 and "PUBLISHER=URL" in result.stderr


def test_regimes_plot_writes_figures_and_summary(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    result = run_cli("regimes", "plot", "--data-dir", str(shared_data), "--detector", "jump",
                     "--detector", "vix_threshold", "--param", "jump.jump_penalty=8", "--start", "2005-01",
                     "--end", "2012-12", "--out", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in out.iterdir())
    # names carry the label, the parameters given and a hash of what defines the path (no overwriting)
    stems = ["regimes_comparison-", "regimes_comparison-", "regimes_jump_jump_penalty=8-", "regimes_vix_threshold-"]
    assert [f.rsplit("-", 1)[0] + "-" for f in files] == stems
    assert [Path(f).suffix for f in files] == [".csv", ".png", ".png", ".png"]
    for f in files[1:]:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / f).stat().st_size > 20_000
    import pandas as pd
    paths = pd.read_csv(out / files[0], index_col="date", parse_dates=True)
    assert list(paths.columns) == ["jump", "vix_threshold"]
    assert paths.index[0] == pd.Timestamp("2005-01-31") and paths.index[-1] == pd.Timestamp("2012-12-31")
    assert "vix_threshold" in result.stdout and "Sep-2008" in result.stdout


def test_plot_names_show_only_the_parameters_given() -> None:
    from experiments.cli.regimes import _plot_config, plot_stem
    from regimes.specs import DetectorSpec

    config = _plot_config(("jump",), (), (), None, None, "daily", None, None, None)
    default = plot_stem(DetectorSpec.from_dict({"name": "jump"}), config, "local")
    given = plot_stem(DetectorSpec.from_dict({"name": "jump", "params": {"jump_penalty": 8}}), config, "local")
    # a default penalty (the monthly one) would mislabel a daily plot, whose default differs: not in the name
    assert default.startswith("regimes_jump-") and given.startswith("regimes_jump_jump_penalty=8-")
    assert default.rsplit("-", 1)[1] != given.rsplit("-", 1)[1]


def test_regimes_plot_daily_with_calendar_spans(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    result = run_cli("regimes", "plot", "--data-dir", str(shared_data), "--frequency", "daily", "--start", "2020-01",
                     "--end", "2020-06", "--history-start", "2015-01", "--refit-every", "1Y", "--min-history", "2Y",
                     "--detector", "hmm", "--out", str(out))
    assert result.returncode == 0, result.stderr
    import pandas as pd
    (csv,) = out.glob("*.csv")
    paths = pd.read_csv(csv, index_col="date", parse_dates=True)
    assert list(paths.columns) == ["hmm"]
    days = paths.index
    weekdays = pd.bdate_range("2020-01-01", "2020-06-30")
    # business days (trading days: weekdays less market holidays), not month ends
    assert days.isin(weekdays).all() and days.is_monotonic_increasing and days.is_unique
    assert len(days) >= 0.9 * len(weekdays) and days.month.nunique() == 6
    assert days[0] == pd.Timestamp("2020-01-02") and days[-1] == pd.Timestamp("2020-06-30")
    proba = paths["hmm"]
    assert proba.notna().all() and proba.between(0.0, 1.0).all()  # 2Y of history from 2015: fitted since 2017
    assert "trading days from the onset" in result.stdout


def test_regimes_plot_frequency_choices_are_the_configs() -> None:
    from experiments.cli.regimes import PLOT_FREQUENCIES
    from experiments.config_tree import FREQUENCIES
    assert PLOT_FREQUENCIES == FREQUENCIES


@pytest.mark.parametrize(("args", "message"), [
    (("--frequency", "daily", "--refit-every", "1Q"),
     "--refit-every '1Q': expected an integer (periods) or a span such as 1Y, 3M, 4W or 63D"),
    (("--refit-every", "0"), "--refit-every '0': expected an integer >= 1"),
    (("--min-history", "1.5"), "--min-history '1.5': expected an integer (periods) or a span"),
    (("--frequency", "weekly", "--min-history", "0Y"), "--min-history '0Y': expected a span of at least 1 unit"),
    (("--config", "configs/regime_comparison.yaml", "--frequency", "daily"),
     "--frequency cannot be combined with --config; change the config with --set (e.g. --set data.frequency=daily)"),
])
def test_regimes_plot_bad_schedule_is_one_line(shared_data: Path, tmp_path: Path, args: tuple, message: str) -> None:
    from tests import REPO
    args = tuple(str(REPO / a) if a.endswith(".yaml") else a for a in args)
    result = run_cli("regimes", "plot", "--data-dir", str(shared_data), *args, "--out", str(tmp_path))
    assert result.returncode == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_regimes_plot_bad_input_is_one_line(shared_data: Path, tmp_path: Path) -> None:
    typo = run_cli("regimes", "plot", "--data-dir", str(shared_data), "--detector", "hmmm", "--out", str(tmp_path))
    assert typo.returncode == 2 and "unknown detector 'hmmm'; did you mean hmm" in typo.stderr
    assert "Traceback" not in typo.stderr
    param = run_cli("regimes", "plot", "--data-dir", str(shared_data), "--detector", "jump", "--param",
                    "jump.penalty=3", "--out", str(tmp_path))
    assert param.returncode == 2 and "no parameter 'penalty'" in param.stderr
    feats = run_cli("regimes", "plot", "--data-dir", str(shared_data), "--detector", "jump", "--features",
                    "jump=log_vix,nber_recession", "--out", str(tmp_path))
    assert feats.returncode == 2 and "hindsight" in feats.stderr
    assert list(tmp_path.iterdir()) == []
