"""Live progress of `mtm run` (issue 26 item 15): step i of N, the model, its rows, the time so far.

A run is ~160 steps that take from milliseconds to minutes (at 1M members, twenty minutes in all); without
this the analyst sees one line and then nothing. The core engine calls :meth:`RunProgress.step` after each
node (``pipelines.engine.runner.run_graph``); a run through Dagster hands every stored event to
:meth:`RunProgress.event` (``dagster_project.instance.run_instance``), in the run's own thread:

* on a terminal, a rich progress bar (step i/N, the step running now, elapsed) and one printed line per
  step slower than ``SLOW_STEP_SECONDS``, so the screen stays readable;
* otherwise (a log file, cron, a pipe), one plain line per finished step:
  ``[  12/214] model core_fill: 48,213 rows, 0.41 s (elapsed 7.9 s)``.

Only table names, row counts and times are shown: never a member id or PHI.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster._core.events.log import EventLogEntry

#: on a terminal, steps at least this slow also get their own printed line above the bar
SLOW_STEP_SECONDS = 5.0


def _kind(step: str) -> str:
    if step.startswith("seed_"):
        return "seed"
    if step.startswith("export_") or step == "published_run":
        return "output"
    if step in {"ingest", "run_parameters", "ref_generic_name", "row_rejects"}:
        return "step"
    return "model"


class RunProgress:
    """Turns the run's Dagster events into progress lines (plain) or a live bar (terminal)."""

    def __init__(self, total: int, out: IO[str] | None = None, interactive: bool | None = None):
        self.total = total
        self.out = out or sys.stdout
        self.interactive = self.out.isatty() if interactive is None else interactive
        self.done = 0
        self.started = time.perf_counter()
        self._step_started: dict[str, float] = {}
        self._rows: dict[str, int | None] = {}
        self._checks: dict[str, tuple[int, int]] = {}
        self._bar: Any = None  # rich.progress.Progress while the terminal display is live
        self._task: Any = None

    # -- the engine's hook (``pipelines.engine.runner.run_graph`` calls it after each finished node) -------
    def step(self, index: int, total: int, name: str, rows: int | None, seconds: float) -> None:
        self.total, self.done = total, index
        self._finished(name, rows, seconds, failed=False)

    # -- the Dagster event hook (a run through ``dg.materialize``) ----------------------------------
    def event(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None or not event.step_key:
            return
        step, kind = event.step_key, event.event_type_value
        if kind == "STEP_START":
            self._step_started[step] = time.perf_counter()
            self._rows[step] = None
            if self._bar is not None:
                self._bar.update(self._task, description=step)
        elif kind == "ASSET_MATERIALIZATION":
            rows = event.event_specific_data.materialization.metadata.get("rows")  # type: ignore[union-attr]
            if rows is not None and isinstance(rows.value, int):
                self._rows[step] = (self._rows.get(step) or 0) + rows.value
        elif kind == "ASSET_CHECK_EVALUATION":
            passed = bool(getattr(event.event_specific_data, "passed", True))
            checked, failed = self._checks.get(step, (0, 0))
            self._checks[step] = (checked + 1, failed + (not passed))
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            self.done += 1
            seconds = time.perf_counter() - self._step_started.pop(step, time.perf_counter())
            self._finished(step, self._rows.pop(step, None), seconds, failed=kind == "STEP_FAILURE")

    def line(self, step: str, rows: int | None, seconds: float, failed: bool = False) -> str:
        width = len(str(self.total))
        checks = self._checks.pop(step, None)
        if failed:
            kind, status = _kind(step), "FAILED"
        elif checks is not None:
            kind, status = "check", (f"{checks[0]} passed" if not checks[1]
                                     else f"{checks[1]} of {checks[0]} not passed")
        else:
            kind, status = _kind(step), "written" if rows is None else f"{rows:,} rows"
        return (f"[{self.done:>{width}}/{self.total}] {kind} {step}: {status}, {seconds:.2f} s "
                f"(elapsed {self.elapsed():.1f} s)")

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _finished(self, step: str, rows: int | None, seconds: float, failed: bool) -> None:
        text = self.line(step, rows, seconds, failed)
        if self._bar is None:
            print(text, file=self.out, flush=True)
            return
        if failed or seconds >= SLOW_STEP_SECONDS:
            self._bar.console.print(text, markup=False, highlight=False)
        self._bar.update(self._task, advance=1, description=step if rows is None else f"{step} ({rows:,} rows)")

    # -- the display ------------------------------------------------------------------------------
    @contextmanager
    def display(self) -> Iterator[RunProgress]:
        """The live bar while the run lasts (terminal only); plain lines need nothing around them."""
        if not self.interactive:
            yield self
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = Console(file=self.out)
        with Progress(TextColumn("step"), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=console, transient=False) as bar:
            self._bar, self._task = bar, bar.add_task("starting", total=self.total)
            try:
                yield self
            finally:
                self._bar = None
