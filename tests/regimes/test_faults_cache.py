"""Fault corpus for the regime cache: bad entries are discarded, recomputed, reported on one line, never trusted."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plumbing.errors import FactorRegimesWarning
from regimes import regime_cache, walkforward
from regimes.regime_cache import RegimeCacheWarning
from regimes.specs import DetectorSpec
from regimes.walkforward import Schedule, walk_forward
from tests import REPO, without_progress

SCHEDULE = Schedule(refit_every=12, min_history=60)


def make_features() -> pd.DataFrame:
    """Synthetic monthly features with two clear regimes (seeded)."""
    rng = np.random.default_rng(7)
    n = 180
    calm = np.sin(np.arange(n) / 14) <= 0.3
    index = pd.date_range("2000-01-31", periods=n, freq="ME")
    return pd.DataFrame({"log_vix": np.log(np.where(calm, 14.0, 32.0) + rng.normal(0, 1.5, n)),
                         "sp500_ret_1m": rng.normal(np.where(calm, 0.01, -0.02), 0.04)}, index=index)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return make_features()


def _detector(name: str, **params: object):
    return DetectorSpec.from_dict({"name": name, "params": params}).build(0)


def _run(features: pd.DataFrame, cache: Path | None, name: str = "jump", **params: object):
    return walk_forward(_detector(name, **params), features, features.index, SCHEDULE, name=name, cache_dir=cache)


def _assert_same(path, cold) -> None:
    pd.testing.assert_frame_equal(path.proba, cold.proba)
    pd.testing.assert_frame_equal(path.next_proba, cold.next_proba)
    pd.testing.assert_index_equal(path.refit_dates, cold.refit_dates)


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "regimes").glob("*.npz"))


def _run_reporting(features: pd.DataFrame, cache: Path, name: str = "jump", **params: object):
    """Run with warnings recorded; return the path and the regime-cache warning messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = _run(features, cache, name, **params)
    return path, [str(w.message) for w in caught if issubclass(w.category, RegimeCacheWarning)]


@pytest.fixture(scope="module")
def cold(features: pd.DataFrame) -> dict:
    """Uncached reference results."""
    return {"jump": _run(features, None, "jump"),
            "vix_threshold": _run(features, None, "vix_threshold")}


def _assert_recomputed(features, cache, cold, name="jump", reason=""):
    entry = _entries(cache)
    path, messages = _run_reporting(features, cache, name)
    assert path.info["cache"] == "recomputed"
    assert len(messages) == 1 and "\n" not in messages[0], messages
    assert messages[0].startswith("regime cache: discarded entry") and name in messages[0] and reason in messages[0]
    _assert_same(path, cold[name])
    # the recomputed result replaced the bad entry: the next run is a verified hit with the same numbers
    again, messages = _run_reporting(features, cache, name)
    assert again.info["cache"] == "hit" and messages == []
    _assert_same(again, cold[name])
    assert _entries(cache) == entry
    return path


def test_hit_is_identical_to_a_cold_run(features, cold, tmp_path: Path) -> None:
    first, warned = _run_reporting(features, tmp_path)
    second, warned_again = _run_reporting(features, tmp_path)
    assert (first.info["cache"], second.info["cache"]) == ("miss", "hit") and warned == warned_again == []
    _assert_same(second, cold["jump"])
    np.testing.assert_array_equal(second.detector.transmat_, cold["jump"].detector.transmat_)
    assert [p.suffix for p in (tmp_path / "regimes").iterdir()] == [".npz"], "one file per entry, no temporaries"


def test_entry_copied_over_another_detectors_entry(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path, "jump")
    jump_entry = _entries(tmp_path)[0]
    _run(features, tmp_path, "vix_threshold")
    threshold_entry = next(p for p in _entries(tmp_path) if p != jump_entry)
    threshold_entry.write_bytes(jump_entry.read_bytes())  # the jump model's result under the threshold's key
    path, messages = _run_reporting(features, tmp_path, "vix_threshold")
    assert path.info["cache"] == "recomputed" and len(messages) == 1
    assert "JumpModelDetector" in messages[0] and "VixThresholdDetector" in messages[0]
    _assert_same(path, cold["vix_threshold"])
    assert _run(features, tmp_path, "jump").info["cache"] == "hit", "the jump entry itself is still good"


def test_entry_of_the_same_detector_with_other_parameters(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path, "jump", jump_penalty=5.0)
    other = _entries(tmp_path)[0]
    _run(features, tmp_path, "jump")
    target = next(p for p in _entries(tmp_path) if p != other)
    target.write_bytes(other.read_bytes())
    _assert_recomputed(features, tmp_path, cold, reason="params differs")


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.0])
def test_truncated_entry(features, cold, tmp_path: Path, keep: float) -> None:
    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    data = entry.read_bytes()
    entry.write_bytes(data[: int(len(data) * keep)])
    _assert_recomputed(features, tmp_path, cold, reason="unreadable")


def test_garbage_entry(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    entry.write_bytes(np.random.default_rng(1).bytes(5000))
    _assert_recomputed(features, tmp_path, cold, reason="unreadable")


def test_flipped_bytes_inside_the_arrays(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    with np.load(entry, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["proba"] = arrays["proba"].copy()
    arrays["proba"][100, 0] = 0.123456  # same key, tampered numbers
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    entry.write_bytes(buf.getvalue())
    _assert_recomputed(features, tmp_path, cold, reason="digest")


def test_npz_without_metadata(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    buf = io.BytesIO()
    np.savez(buf, proba=np.zeros((len(features), 2)))
    entry.write_bytes(buf.getvalue())
    _assert_recomputed(features, tmp_path, cold, reason="not a regime-cache entry")


def test_entry_with_a_pickle_inside_never_runs_code(features, cold, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    buf = io.BytesIO()
    np.savez(buf, meta=np.array([Payload()], dtype=object), proba=np.zeros(3))
    entry.write_bytes(buf.getvalue())
    _assert_recomputed(features, tmp_path, cold, reason="pickled object arrays, which are never loaded")
    assert not marker.exists()
    (tmp_path / "regimes" / "old.pkl").write_bytes(pickle.dumps(Payload()))  # an old-format entry is never read
    assert _run(features, tmp_path).info["cache"] == "hit" and not marker.exists()


def test_entry_from_another_package_version(features, cold, tmp_path: Path, monkeypatch) -> None:
    real = walkforward._version
    monkeypatch.setattr(walkforward, "_version", lambda dist: "0.0.1-old" if dist == "factor-regimes" else real(dist))
    old = _run(features, tmp_path)
    old_entry = _entries(tmp_path)[0]
    monkeypatch.undo()
    # an entry keyed on another version lives under another name: a miss, never a hit
    fresh = _run(features, tmp_path)
    assert old.info["cache"] == "miss" and fresh.info["cache"] == "miss" and len(_entries(tmp_path)) == 2
    # the old entry planted under the current name is refused, naming the version
    current = next(p for p in _entries(tmp_path) if p != old_entry)
    current.write_bytes(old_entry.read_bytes())
    _assert_recomputed(features, tmp_path, cold, reason="package '0.0.1-old'")


def test_entry_from_another_code_version(features, cold, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(walkforward, "code_version", lambda detector: "0" * 64)
    _run(features, tmp_path)
    old_entry = _entries(tmp_path)[0]
    monkeypatch.undo()
    assert _run(features, tmp_path).info["cache"] == "miss"
    current = next(p for p in _entries(tmp_path) if p != old_entry)
    current.write_bytes(old_entry.read_bytes())
    _assert_recomputed(features, tmp_path, cold, reason="code differs")


def _load_module(path: Path, name: str, monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_code_version_follows_the_detector_source(tmp_path: Path, monkeypatch) -> None:
    det = _detector("jump")
    assert walkforward.code_version(det) == walkforward.code_version(_detector("jump", jump_penalty=3.0))
    assert walkforward.code_version(det) != walkforward.code_version(_detector("vix_threshold"))
    source = tmp_path / "my_detector.py"
    source.write_text("from regimes.detectors.jump import JumpModelDetector\n\n\n"
                      "class MyJump(JumpModelDetector):\n    pass\n")
    before = walkforward.code_version(_load_module(source, "my_detector_v1", monkeypatch).MyJump())
    source.write_text(source.read_text() + "# edited: the detector's code changed\n")
    after = walkforward.code_version(_load_module(source, "my_detector_v2", monkeypatch).MyJump())
    assert None not in (before, after) and len({before, after, walkforward.code_version(det)}) == 3
    from regimes.detectors import EnsembleDetector
    with_jump = walkforward.code_version(EnsembleDetector(members=[_detector("jump")]))
    with_threshold = walkforward.code_version(EnsembleDetector(members=[_detector("vix_threshold")]))
    assert with_jump != with_threshold, "an ensemble's code version covers its members' code"


def test_entry_replaced_by_a_directory_and_unwritable_cache(features, cold, tmp_path: Path) -> None:
    _run(features, tmp_path)
    entry = _entries(tmp_path)[0]
    entry.unlink()
    entry.mkdir()
    path, messages = _run_reporting(features, tmp_path)
    assert path.info["cache"] == "recomputed" and len(messages) == 2
    assert "could not write" in messages[1]
    _assert_same(path, cold["jump"])
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "regimes").write_text("a file where the cache folder should be")
    path, messages = _run_reporting(features, blocked)
    assert path.info["cache"] == "miss" and len(messages) == 1 and "could not write" in messages[0]
    _assert_same(path, cold["jump"])


def test_report_is_one_line_on_stderr(features, tmp_path: Path) -> None:
    """A user (or the CLI) sees a discarded entry as exactly one line, with no source line under it."""
    _run(features, tmp_path, "vix_threshold")
    _entries(tmp_path)[0].write_bytes(b"PK\x03\x04 truncated")
    script = ("from pathlib import Path\nfrom tests.regimes.test_faults_cache import _run, make_features\n"
              f"print(_run(make_features(), Path({str(tmp_path)!r}), 'vix_threshold').info['cache'])\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "recomputed"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RegimeCacheWarning: regime cache: discarded entry" in lines[0], result.stderr
    assert str(tmp_path / "regimes") in lines[0] and "Traceback" not in result.stderr


def test_entry_metadata_names_its_full_key(features, tmp_path: Path) -> None:
    _run(features, tmp_path, "jump", jump_penalty=7.0)
    with np.load(_entries(tmp_path)[0], allow_pickle=False) as z:
        meta = json.loads(str(z["meta"][()]))
    key = meta["key"]
    assert key["detector"] == "regimes.detectors.jump.JumpModelDetector"
    assert key["params"]["jump_penalty"] == "7.0"
    assert key["features"]["columns"] == ["log_vix", "sp500_ret_1m"] and key["features"]["rows"] == len(features)
    assert key["dates"]["n"] == len(features) and key["schedule"]["refit_every"] == 12
    assert key["package"] and len(key["code"]) == 64 and key["libraries"]["numpy"] == np.__version__
    assert _entries(tmp_path)[0].name == regime_cache.entry_name(key)


def test_cli_reports_a_discarded_entry_on_one_line(shared_data: Path, tmp_path: Path) -> None:
    """Through the real command: a garbage entry gives one stderr line, exit 0 and the cold run's numbers."""
    env = {**os.environ, "FACTOR_REGIMES_CACHE": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    args = [sys.executable, "-m", "experiments.cli", "regimes", "plot", "--data-dir", str(shared_data),
            "--detector", "vix_threshold", "--start", "2005-01", "--end", "2012-12", "--out", str(tmp_path / "figs")]
    root = REPO
    cold = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=root)
    cold.stderr = without_progress(cold.stderr)  # progress lines are tested in test_cli_output
    assert cold.returncode == 0 and cold.stderr == "", cold.stderr
    entries = _entries(tmp_path / "cache")
    assert len(entries) == 1
    entries[0].write_bytes(b"\x00garbage" * 100)
    warm = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=root)
    warm.stderr = without_progress(warm.stderr)
    assert warm.returncode == 0, warm.stderr
    lines = warm.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: regime cache: discarded entry"), warm.stderr
    assert "vix_threshold" in lines[0] and "RegimeCacheWarning" not in lines[0]
    assert "Traceback" not in warm.stderr and warm.stdout == cold.stdout


# -- temporary files of killed writers ----------------------------------------------------------------------

def _write_and_die(folder: Path, name: str) -> None:
    """In a child process, start an entry's temporary file (as the cache writes it) and die by SIGKILL."""
    script = ("import os, signal\nfrom pathlib import Path\nfrom plumbing.atomic import locked_temp\n"
              f"with locked_temp(Path({str(folder / name)!r})) as (tmp, fh):\n"
              "    fh.write(b'half an entry'); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, timeout=60)
    assert result.returncode == -9


def test_stale_temporaries_of_killed_writers_are_removed_on_the_next_write(features, cold, tmp_path: Path) -> None:
    folder = tmp_path / "regimes"
    folder.mkdir()
    _write_and_die(folder, "0" * 32 + ".npz")
    killed = [p for p in folder.iterdir() if p.name.endswith(".part")]
    assert len(killed) == 1 and killed[0].name.startswith("." + "0" * 32 + ".npz.")  # what a killed write leaves
    legacy = folder / (".%s.npz.abc123.part" % ("f" * 32))  # an older version's temporary, never locked
    legacy.write_bytes(b"PK")
    live = folder / (".%s.npz.live42.part" % ("e" * 32))  # a writer in another process, still writing
    mine = [folder / "notes.part", folder / ".notes.txt.x.part", folder / ("%s.npz.part" % ("1" * 32))]
    for path in mine:  # not the cache's temporaries: never touched
        path.write_text("mine")
    with open(live, "wb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        path = _run(features, tmp_path)
        assert path.info["cache"] == "miss"
        assert live.exists() and not killed[0].exists() and not legacy.exists()
    assert all(p.read_text() == "mine" for p in mine)
    assert sorted(p.name for p in folder.iterdir()) == sorted([_entries(tmp_path)[0].name, live.name,
                                                               *(p.name for p in mine)])
    _assert_same(path, cold["jump"])
    live.unlink()
    _write_and_die(folder, _entries(tmp_path)[0].name)  # a killed rewrite of an existing entry
    assert _run(features, tmp_path).info["cache"] == "hit", "a hit does not write, and is not disturbed"
    assert _run(features, tmp_path, "vix_threshold").info["cache"] == "miss"  # the next write cleans up
    assert not [p for p in folder.iterdir() if p.name.endswith(".part") and p not in mine]


def test_cli_hook_prints_our_warnings_on_one_line_and_leaves_others_alone(capsys, monkeypatch) -> None:
    from experiments.cli import one_line_warnings
    passed_on = []
    monkeypatch.setattr(warnings, "showwarning", lambda message, category, *args, **kw: passed_on.append(category))
    before = warnings.showwarning
    with one_line_warnings(), warnings.catch_warnings():
        warnings.simplefilter("always")
        regime_cache.report("regime cache: discarded entry /x/a.npz\nfor jump: unreadable; recomputed")
        warnings.warn("a library's own warning", UserWarning, stacklevel=1)
        regime_cache.report("regime cache: discarded entry /runs/[bold]x[/bold]/:smile:/b.npz")  # printed verbatim
    assert warnings.showwarning is before, "the hook is removed when the command ends"
    assert capsys.readouterr().err.splitlines() == [
        "warning: regime cache: discarded entry /x/a.npz for jump: unreadable; recomputed",
        "warning: regime cache: discarded entry /runs/[bold]x[/bold]/:smile:/b.npz"]
    assert passed_on == [UserWarning], "other warnings go to the usual display"
    assert issubclass(RegimeCacheWarning, FactorRegimesWarning) and issubclass(RegimeCacheWarning, UserWarning)
