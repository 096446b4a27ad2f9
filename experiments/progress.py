"""Progress of long jobs: bars in a terminal, timestamped lines in a log, nothing with ``--quiet``.

Every long computation reports through one small protocol, a callable
``progress(stage, detail="")`` meaning "stage ``stage`` starts its next item,
``detail``" (the earlier item of that stage is then done). Code that can say
how many items a stage has calls :func:`expect` first; code that finishes
items out of order (a parallel sweep) calls :func:`done`. Plain functions
(``lambda stage, detail="": ...``) remain valid progress callbacks: the
helpers do nothing for them.

Three reporters implement the protocol and write to standard error, so that
standard output holds only a command's summary:

* :class:`BarReporter`: a ``rich.progress`` bar per stage with k of n, the
  elapsed time and an ETA (in a terminal);
* :class:`LineReporter`: one timestamped line when a stage starts, and a
  heartbeat line whenever nothing was written for ``heartbeat`` seconds (15 by
  default) while a stage runs (output piped to a file or a pager);
* :class:`NullReporter`: nothing (``--quiet``).

:func:`make_reporter` picks one for a console. Every reporter is a context
manager; leaving it finishes the last stage and stops the heartbeat.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

Progress = Callable[..., None]

#: Stages whose calls are messages, not items of work (the run lock's "waiting for ...").
NOTE_STAGES = frozenset({"waiting"})

#: Seconds without output after which :class:`LineReporter` writes a heartbeat line.
HEARTBEAT_SECONDS = 15.0

#: Every line :class:`LineReporter` writes starts so (``HH:MM:SS `` in UTC); an error line never does.
PROGRESS_LINE = re.compile(r"^\d\d:\d\d:\d\d ")


def expect(progress: Progress | None, stage: str, total: int) -> None:
    """Tell ``progress`` that ``stage`` has ``total`` items (nothing for a plain callable or None)."""
    hook = getattr(progress, "expect", None)
    if hook is not None:
        hook(stage, total)


def done(progress: Progress | None, stage: str, detail: str = "") -> None:
    """Tell ``progress`` that one item of ``stage`` finished (parallel work; nothing for a plain callable)."""
    hook = getattr(progress, "done", None)
    if hook is not None:
        hook(stage, detail)


def note(progress: Progress | None, text: str) -> None:
    """A message of its own line (e.g. waiting for a lock): printed by a reporter, silent with ``--quiet``."""
    hook = getattr(progress, "note", None)
    if hook is not None:
        hook(text)


@dataclass
class StageState:
    """Where one stage stands: items started and completed, its total if known, the current item."""

    name: str
    started_at: float
    total: int | None = None
    started: int = 0
    completed: int = 0
    detail: str = ""
    parallel: bool = False
    extra: dict = field(default_factory=dict)

    def eta(self, now: float) -> float | None:
        """Seconds left at the mean pace of the completed items (None before the first completes)."""
        if self.total is None or self.completed <= 0:
            return None
        elapsed = now - self.started_at
        return max(0.0, elapsed / self.completed * (self.total - self.completed))


class Reporter:
    """The progress protocol with its stage bookkeeping; subclasses draw it (see module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.stage: StageState | None = None

    # -- the protocol ---------------------------------------------------------------------------
    def __call__(self, stage: str, detail: str = "") -> None:
        if stage in NOTE_STAGES:
            self.note(detail)
            return
        with self.lock:
            state = self._enter(stage)
            if not state.parallel and state.started > state.completed:
                state.completed += 1  # the previous item of a sequential stage is done
            state.started += 1
            if state.total is not None and state.started > state.total:
                state.total = state.started  # never show k of n with k > n
            state.detail = detail
            self._show(state)

    def expect(self, stage: str, total: int) -> None:
        with self.lock:
            state = self._enter(stage, fresh=True)
            state.total = int(total)
            self._show(state)

    def done(self, stage: str, detail: str = "") -> None:
        with self.lock:
            state = self._enter(stage)
            state.parallel = True
            state.completed += 1
            if state.total is not None and state.completed > state.total:
                state.total = state.completed
            if detail:
                state.detail = detail
            self._show(state)

    def note(self, text: str) -> None:
        with self.lock:
            self._note(text)

    def close(self) -> None:
        with self.lock:
            if self.stage is not None:
                self._finish(self.stage)
                self.stage = None

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- bookkeeping ---------------------------------------------------------------------------
    def _enter(self, stage: str, fresh: bool = False) -> StageState:
        """The state of ``stage``, finishing the current stage first when another (or ``fresh``) starts."""
        if self.stage is not None and (self.stage.name != stage or fresh and self.stage.started):
            self._finish(self.stage)
            self.stage = None
        if self.stage is None:
            self.stage = StageState(stage, self.clock())
            self._start(self.stage)
        return self.stage

    def _finish(self, state: StageState) -> None:
        if not state.parallel:
            state.completed = state.started
        self._end(state)

    # -- drawing (subclasses) ----------------------------------------------------------------------
    def _start(self, state: StageState) -> None:
        pass

    def _show(self, state: StageState) -> None:
        pass

    def _end(self, state: StageState) -> None:
        pass

    def _note(self, text: str) -> None:
        pass


class NullReporter(Reporter):
    """Reports nothing (``--quiet``)."""


def _seconds(value: float) -> str:
    value = int(round(value))
    return f"{value // 60}m{value % 60:02d}s" if value >= 60 else f"{value}s"


class LineReporter(Reporter):
    """Timestamped lines: one when a stage starts, and a heartbeat while a stage runs without output.

    Parameters
    ----------
    stream : text file
        Where lines go (standard error by default).
    heartbeat : float
        Seconds without a line after which :meth:`tick` writes a heartbeat.
    clock : callable
        Monotonic seconds (a fake clock in tests).
    wall : callable
        The time printed at the start of each line (UTC ``datetime``).
    thread : bool
        Run a daemon thread that calls :meth:`tick` (several times per ``heartbeat``); tests that drive
        :meth:`tick` with a fake clock turn it off.
    """

    def __init__(self, stream: TextIO | None = None, heartbeat: float = HEARTBEAT_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
                 thread: bool = True) -> None:
        super().__init__(clock)
        self.stream = stream
        self.heartbeat = float(heartbeat)
        self.wall = wall
        self.last_line = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if thread:
            self._thread = threading.Thread(target=self._beat, name="progress-heartbeat", daemon=True)
            self._thread.start()

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(f"{self.wall():%H:%M:%S} {text}\n")
        stream.flush()
        self.last_line = self.clock()

    def _start(self, state: StageState) -> None:
        pass  # the line is written by _show, once the total or the first item is known

    def _show(self, state: StageState) -> None:
        if not state.extra.get("announced"):
            state.extra["announced"] = True
            count = f" ({state.total} to do)" if state.total is not None else ""
            self._write(f"{state.name}{count}" + (f": {state.detail}" if state.detail else ""))

    def _end(self, state: StageState) -> None:
        pass

    def _note(self, text: str) -> None:
        self._write(text)

    def tick(self) -> bool:
        """Write a heartbeat if a stage runs and nothing was written for ``heartbeat`` seconds; True if written."""
        with self.lock:
            state = self.stage
            now = self.clock()
            if state is None or now - self.last_line < self.heartbeat:
                return False
            parts = [f"{state.name}: still running"]
            if state.total is not None:
                parts.append(f"{state.completed} of {state.total} done")
            elif state.completed:
                parts.append(f"{state.completed} done")
            parts.append(f"{_seconds(now - state.started_at)} in this stage")
            eta = state.eta(now)
            if eta is not None:
                parts.append(f"about {_seconds(eta)} left")
            if state.detail:
                parts.append(f"now {state.detail}")
            self._write(", ".join(parts))
            return True

    def _beat(self) -> None:
        while not self._stop.wait(min(self.heartbeat / 4, 1.0)):
            self.tick()

    def close(self) -> None:
        self._stop.set()
        super().close()


class BarReporter(Reporter):
    """``rich.progress`` bars on a console: a bar per stage with k of n, elapsed time and ETA."""

    def __init__(self, console, clock: Callable[[], float] = time.monotonic) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(clock)
        # what the command prints on stdout meanwhile is drawn above the bars only when stdout is the same
        # terminal; stdout sent to a file keeps every line (never moved to stderr)
        same_screen = sys.stdout.isatty()
        self.bars = Progress(TextColumn("[bold]{task.description:<11}"), BarColumn(bar_width=30), MofNCompleteColumn(),
                             TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                             TextColumn("{task.fields[detail]}"), console=console, transient=False,
                             redirect_stdout=same_screen, redirect_stderr=False)
        self.bars.start()

    def _start(self, state: StageState) -> None:
        state.extra["task"] = self.bars.add_task(state.name, total=None, detail="")

    def _show(self, state: StageState) -> None:
        from rich.markup import escape

        self.bars.update(state.extra["task"], total=state.total, completed=state.completed,
                         detail=escape(state.detail))

    def _end(self, state: StageState) -> None:
        total = state.total if state.total is not None else state.completed
        self.bars.update(state.extra["task"], total=total, completed=state.completed, detail="")

    def _note(self, text: str) -> None:
        from rich.markup import escape

        self.bars.console.print(escape(text), soft_wrap=True)

    def close(self) -> None:
        super().close()
        self.bars.stop()


def make_reporter(quiet: bool = False, console=None, heartbeat: float = HEARTBEAT_SECONDS) -> Reporter:
    """The reporter for a command: nothing if ``quiet``, bars on a terminal, timestamped lines otherwise.

    ``console`` is a ``rich`` console on standard error (default: a new one).
    """
    if quiet:
        return NullReporter()
    if console is None:
        from rich.console import Console
        console = Console(stderr=True)
    if console.is_terminal:
        return BarReporter(console)
    return LineReporter(stream=None if console.file is sys.stderr else console.file, heartbeat=heartbeat)


__all__ = ["HEARTBEAT_SECONDS", "NOTE_STAGES", "PROGRESS_LINE", "BarReporter", "LineReporter", "NullReporter", "Progress", "Reporter",
           "StageState", "done", "expect", "make_reporter", "note"]
