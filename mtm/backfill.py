"""`mtm backfill`: the same asset graph run once per as-of date, oldest first (issue 17).

A program that starts with the pipeline is backfilled week by week so that members get the enrollment
date of the week they first met the criteria: each date is one ordinary run (same graph, same checks,
same publishing, the ledger committed before the next date starts), so a backfill of N dates gives the
same run folders and ledger as N single runs. A failed date stops the backfill; the dates before it stay
published. Progress: a rich progress bar on a terminal, one plain line per date otherwise (logs, cron).
"""

from __future__ import annotations

import calendar
import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STEPS = {"day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}
EVERY = ("month", "week", "day")


def _months_later(start: dt.date, months: int) -> dt.date:
    """``start`` moved by whole months: the same day of the month, clamped to the month's length; a month's
    last day stays the last day (31 Jan, 28 Feb, 31 Mar, ...), the usual reporting date."""
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month0 + 1)[1]
    at_month_end = start.day == calendar.monthrange(start.year, start.month)[1]
    return dt.date(year, month0 + 1, last if at_month_end else min(start.day, last))


def as_of_dates(start: dt.date, end: dt.date, every: str = "week") -> list[dt.date]:
    """start, start + step, ... up to end; end itself is always included (the date asked for last).
    ``every`` is day, week or month (see ``_months_later``)."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    if every not in EVERY:
        raise ValueError(f"unknown step {every!r}: one of {', '.join(EVERY)}")
    dates, day, n = [], start, 0
    while day <= end:
        dates.append(day)
        n += 1
        day = _months_later(start, n) if every == "month" else start + STEPS[every] * n
    if dates[-1] != end:
        dates.append(end)
    return dates


@contextmanager
def progress(total: int, interactive: bool | None = None) -> Iterator[Callable[[dt.date, str], None]]:
    """Yields ``report(date, text)``, called once per finished date."""
    interactive = sys.stdout.isatty() if interactive is None else interactive
    if interactive:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("backfill {task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task("", total=total)

            def report(day: dt.date, text: str) -> None:
                bar.console.print(f"{day}: {text}")
                bar.update(task, advance=1, description=str(day))

            yield report
    else:
        done = [0]

        def report(day: dt.date, text: str) -> None:
            done[0] += 1
            print(f"[{done[0]}/{total}] {day}: {text}", flush=True)

        yield report


def run_backfill(dates: list[dt.date], extract_dirs: list[Path] | None, settings_file: Path | None,
                 home: Path | None, source: str = "canonical", interactive: bool | None = None) -> list[Path]:
    """Run and publish each date in order; raises RunFailed at the first date that fails."""
    from dagster_project.run import run_pipeline
    from pipelines.run_state.run_context import RunContext

    published = []
    with progress(len(dates), interactive) as report:
        for day in sorted(dates):
            started = time.perf_counter()
            ctx = RunContext.create(home=home, extract_dirs=extract_dirs, as_of=day,
                                    settings_file=settings_file, source=source)
            published.append(run_pipeline(ctx, log_level="CRITICAL"))
            report(day, f"published {published[-1]} in {time.perf_counter() - started:.1f} s")
    return published
