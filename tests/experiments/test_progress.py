"""Progress reporters (experiments.progress): stage lines, heartbeats, k of n, bars, and silence."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
import time

from rich.console import Console

from experiments.progress import (
    BarReporter,
    LineReporter,
    NullReporter,
    Reporter,
    done,
    expect,
    make_reporter,
    note,
)

STAMP = re.compile(r"^\d\d:\d\d:\d\d ")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _lines(reporter: LineReporter, clock: FakeClock | None = None) -> list[str]:
    return reporter.stream.getvalue().splitlines()


def _line_reporter(clock: FakeClock, heartbeat: float = 15.0) -> LineReporter:
    return LineReporter(stream=io.StringIO(), heartbeat=heartbeat, clock=clock, thread=False,
                        wall=lambda: dt.datetime(2026, 1, 2, 3, 4, 5))


def test_one_timestamped_line_per_stage_not_per_item() -> None:
    clock = FakeClock()
    rep = _line_reporter(clock)
    rep("panel", "building")
    expect(rep, "forecasts", 3)
    for item in ("a", "b", "c"):
        rep("forecasts", item)
    rep("statistics", "tests")
    rep.close()
    lines = _lines(rep)
    assert lines == ["03:04:05 panel: building", "03:04:05 forecasts (3 to do)", "03:04:05 statistics: tests"]
    assert all(STAMP.match(line) for line in lines)


def test_heartbeat_fires_after_the_interval_with_k_of_n_and_eta() -> None:
    clock = FakeClock()
    rep = _line_reporter(clock)
    expect(rep, "forecasts", 4)
    rep("forecasts", "UMD ridge")
    clock.now += 5
    rep("forecasts", "UMD lasso")  # the first item took 5 s
    clock.now += 5
    rep("forecasts", "HML ridge")  # two done in 10 s: 5 s each, two left
    assert rep.tick() is False  # 10 s since the stage line: no heartbeat yet
    assert len(_lines(rep)) == 1
    clock.now += 5.0  # 15 s without a line
    assert rep.tick() is True
    beat = _lines(rep)[-1]
    assert STAMP.match(beat) and "forecasts: still running" in beat and "2 of 4 done" in beat
    assert "15s in this stage" in beat and "about 15s left" in beat and "now HML ridge" in beat  # 15/2*(4-2)
    assert rep.tick() is False  # the heartbeat itself counts as output
    clock.now += 14.9
    assert rep.tick() is False
    clock.now += 0.1
    assert rep.tick() is True and len(_lines(rep)) == 3
    rep.close()
    clock.now += 100
    assert rep.tick() is False  # no stage runs: nothing to report


def test_the_heartbeat_thread_writes_while_a_stage_runs() -> None:
    class Stream(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.beat = threading.Event()

        def write(self, text: str) -> int:
            if "still running" in text:
                self.beat.set()
            return super().write(text)

    stream = Stream()
    rep = LineReporter(stream=stream, heartbeat=0.01)
    try:
        rep("regimes", "hmm")
        assert stream.beat.wait(30), "no heartbeat line while the stage ran"
    finally:
        rep.close()
    written = len(stream.getvalue())
    time.sleep(0.05)  # the thread has stopped: nothing more is written
    assert len(stream.getvalue()) == written


def test_items_finished_out_of_order_count_as_done() -> None:
    clock = FakeClock()
    rep = Reporter(clock)
    expect(rep, "runs", 3)
    done(rep, "runs", "b")
    done(rep, "runs", "a")
    assert (rep.stage.completed, rep.stage.total) == (2, 3)
    clock.now += 10
    assert rep.stage.eta(clock.now) == 5.0
    rep("runs", "c")  # a run that started: not a completion in a parallel stage
    assert rep.stage.completed == 2
    done(rep, "runs", "c")
    done(rep, "runs", "d")  # more than announced: the total grows, never k > n
    assert (rep.stage.completed, rep.stage.total) == (4, 4)


def test_sequential_items_complete_when_the_next_starts() -> None:
    rep = Reporter(FakeClock())
    expect(rep, "backtests", 2)
    rep("backtests", "a")
    assert rep.stage.completed == 0 and rep.stage.started == 1
    rep("backtests", "b")
    assert rep.stage.completed == 1
    rep("backtests", "c")  # an item beyond the announced total
    assert rep.stage.total == 3


def test_waiting_is_a_note_and_plain_callables_ignore_the_helpers() -> None:
    clock = FakeClock()
    rep = _line_reporter(clock)
    rep("waiting", "another run holds the lock on runs/x; waiting")
    note(rep, "a note")
    assert _lines(rep) == ["03:04:05 another run holds the lock on runs/x; waiting", "03:04:05 a note"]
    assert rep.stage is None
    calls = []

    def plain(stage, detail=""):
        calls.append((stage, detail))

    expect(plain, "x", 3)
    done(plain, "x")
    note(plain, "y")
    expect(None, "x", 1)
    assert calls == []


def test_make_reporter_picks_bars_lines_or_nothing() -> None:
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(make_reporter(False, piped), LineReporter)
    quiet = make_reporter(True, piped)
    assert isinstance(quiet, NullReporter)
    quiet("forecasts", "a")
    quiet.close()
    assert piped.file.getvalue() == ""
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120)
    bars = make_reporter(False, terminal)
    assert isinstance(bars, BarReporter)
    with bars:
        expect(bars, "forecasts", 3)
        bars("forecasts", "UMD ridge")
        bars("forecasts", "UMD lasso")
        bars.bars.refresh()
        task = bars.bars.tasks[0]
        assert (task.description, task.completed, task.total) == ("forecasts", 1, 3)
        bars("forecasts", "HML ridge")
    text = terminal.file.getvalue()
    assert "forecasts" in text and "3/3" in text  # the last item is done when the reporter closes


def test_detectors_report_each_refit_and_cache_reads(tmp_path) -> None:
    from regimes.data import make_source
    from regimes.pipeline import RegimeData
    from regimes.specs import DetectorSpec
    from regimes.walkforward import Schedule

    class Recorder(Reporter):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple[str, str]] = []
            self.totals: dict[str, int] = {}

        def __call__(self, stage: str, detail: str = "") -> None:
            self.calls.append((stage, detail))

        def expect(self, stage: str, total: int) -> None:
            self.totals[stage] = total

    data = RegimeData.load(make_source("sample"), "1999-01", "2010-12")
    specs = [DetectorSpec.from_dict({"name": "hmm", "features": ["log_rv"], "label": "thr"}),
             DetectorSpec.from_dict({"name": "jump", "features": ["log_rv", "sp500_ret_1m"]})]
    schedule = Schedule(refit_every=12, min_history=36)
    rec = Recorder()
    paths = data.detect_all(specs, schedule, seed=0, cache_dir=tmp_path, progress=rec)
    for label, path in paths.items():
        refits = [d for s, d in rec.calls if s == f"regimes {label}"]
        assert len(refits) == len(path.refit_dates) == rec.totals[f"regimes {label}"]
        assert refits[0] == f"refit 1 of {len(path.refit_dates)} at {path.refit_dates[0]:%Y-%m-%d}"
    again = Recorder()
    cached = data.detect_all(specs, schedule, seed=0, cache_dir=tmp_path, progress=again)
    assert again.calls == [("regimes thr", "read from the regime cache"), ("regimes jump", "read from the regime cache")]
    assert again.totals == {}
    for label in paths:
        assert cached[label].proba.equals(paths[label].proba)


def test_a_sweep_announces_its_runs_and_counts_each_finished_one(tmp_path) -> None:
    from experiments.sweep import run_sweep
    from tests.experiments.test_sweep import _sweep_file

    clock = FakeClock()
    rep = _line_reporter(clock)
    events: list[str] = []
    rows = run_sweep(_sweep_file(tmp_path), tmp_path / "runs", workers=1, max_runs=2, progress=rep,
                     on_event=lambda kind, run, detail: events.append(kind))
    state = rep.stage
    assert state is not None and state.name == "runs" and state.parallel
    assert (state.completed, state.total) == (2, 2) == (events.count("done"), sum(r["status"] == "done" for r in rows))
    assert _lines(rep)[0] == "03:04:05 runs (2 to do)"
    rep.close()
    nothing = Reporter(clock)
    run_sweep(_sweep_file(tmp_path), tmp_path / "runs", workers=1, max_runs=2, progress=nothing)
    assert nothing.stage is not None and nothing.stage.completed == 2  # the two other runs of the grid
