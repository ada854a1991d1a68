"""Live progress of `mtm run` (issue 26 item 15): step i of N, the model, its rows, the time so far.

A run is ~160 steps that take from milliseconds to minutes (at 1M members, twenty minutes in all); without
this the analyst sees one line and then nothing. The core engine calls :meth:`RunProgress.step` after each
node (``pipelines.engine.runner.run_graph``). A run under Dagster shows its progress in the Dagster UI (the
in-process ``dagster_materialize`` of the tests shows none: issue 27 dropped its event hook, which needed a
Dagster instance built from ``dagster._core``):

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
from typing import IO, Any

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
    """Turns the engine's finished nodes into progress lines (plain) or a live bar (terminal)."""

    def __init__(self, total: int, out: IO[str] | None = None, interactive: bool | None = None):
        self.total = total
        self.out = out or sys.stdout
        self.interactive = self.out.isatty() if interactive is None else interactive
        self.done = 0
        self.started = time.perf_counter()
        self._bar: Any = None  # rich.progress.Progress while the terminal display is live
        self._task: Any = None

    # -- the engine's hook (``pipelines.engine.runner.run_graph`` calls it after each finished node) -------
    def step(self, index: int, total: int, name: str, rows: int | None, seconds: float) -> None:
        self.total, self.done = total, index
        self._finished(name, rows, seconds, failed=False)

    def line(self, step: str, rows: int | None, seconds: float, failed: bool = False) -> str:
        width = len(str(self.total))
        status = "FAILED" if failed else "written" if rows is None else f"{rows:,} rows"
        kind = _kind(step)
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
