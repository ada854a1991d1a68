"""`mtm run`: run the asset graph the nightly schedule runs, in-process, then report.

Every path runs this graph: `mtm run`, backfills and the tests (which may select the tables they need and
everything upstream of them); blocking checks run on every path. Since issue 27 they run it through the
core engine (``pipelines.engine.runner``: one connection, no Dagster bookkeeping); the Dagster definitions run the
same per-node functions for the UI, the schedule and the sensor, and ``dagster_materialize`` runs them through
``dg.materialize`` (the test that the two paths publish identical run folders, the UI's metadata tests).
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster_project.progress import RunProgress
from pipelines.engine.runner import BlockingCheckFailed, EngineResult, OnStep, plan, run_graph
from pipelines.ingest.quality.run import stop_workers
from pipelines.publishing.run_folder import record_failure
from pipelines.publishing.run_lock import run_lock
from pipelines.run_state.run_context import RunContext


class RunFailed(Exception):
    def __init__(self, error: BaseException, failed_dir):
        self.error, self.failed_dir = error, failed_dir
        super().__init__(str(error))


def _user_error(exc: BaseException) -> BaseException:
    return getattr(exc, "user_exception", None) or exc


def materialize(ctx: RunContext, targets: Iterable[str] | None = None, log_level: str = "CRITICAL",
                on_step: OnStep | None = None) -> EngineResult:
    """Run the graph for ``ctx`` (or only ``targets`` and what they read); no lock, no failure report.
    ``log_level`` is kept for the callers (the engine logs nothing per step)."""
    return run_graph(ctx, targets=list(targets) if targets is not None else None, on_step=on_step)


def dagster_materialize(ctx: RunContext, targets: Iterable[str] | None = None, log_level: str = "CRITICAL"):
    """The same graph through ``dg.materialize`` of the Dagster definitions (an ``ExecuteInProcessResult``), in
    Dagster's ephemeral instance."""
    import dagster as dg

    from dagster_project.defs.graph import ALL_ASSETS, ALL_CHECKS
    from dagster_project.defs.resources import resources_for

    resources = resources_for(
        ctx.home,
        extract_dirs=[str(d) for d in ctx.extract_dirs],
        as_of=ctx.as_of.isoformat(),
        settings_file=str(ctx.settings_file or ""),
        source=ctx.source,
        run_id=ctx.run_id,
        as_known_at=ctx.as_known_at.isoformat() if ctx.as_known_at else "",
        delivery=str(ctx.delivery or ""),
        engine=ctx.engine,
        spark_master=ctx.spark_master,
    )
    # a Python step of several tables (run_parameters + run_signal_weight) cannot be split: take its siblings
    # too (the warehouse step can be: it runs only what is selected)
    selection = dg.AssetSelection.assets(*targets).upstream().required_multi_asset_neighbors() if targets else None
    try:
        return dg.materialize(
            [*ALL_ASSETS, *ALL_CHECKS], resources=resources, selection=selection, raise_on_error=True,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    except Exception as exc:  # the step's own error carries the message for the analyst
        raise _user_error(exc) from None
    finally:
        stop_workers()  # a Great Expectations worker of a run that stopped early, or was not waited for


def whole_graph_progress(interactive: bool | None = None) -> RunProgress:
    """Progress of a whole-graph run (``mtm run``): N is every node the engine runs."""
    return RunProgress(len(plan(None)), interactive=interactive)


def run_pipeline(ctx: RunContext, log_level: str = "WARNING", on_step: OnStep | None = None,
                 progress: RunProgress | None = None):
    """Run every node for ctx and publish; on failure the published runs and the ledger stay as they were.
    ``progress`` shows each finished step as the run goes (``mtm run``'s live display)."""
    with run_lock(ctx.home, ctx.settings["run"]["lock_wait_seconds"]):
        try:
            if progress is None:
                result = materialize(ctx, log_level=log_level, on_step=on_step)
            else:
                with progress.display():
                    result = materialize(ctx, log_level=log_level, on_step=progress.step)
        except BlockingCheckFailed as error:
            blocked = RuntimeError(str(error))
            raise RunFailed(blocked, record_failure(ctx, blocked)) from error
        except Exception as error:
            raise RunFailed(error, record_failure(ctx, error)) from error
        if result.published is None or not ctx.publish_dir.exists():
            blocked = RuntimeError("the run did not publish its folder; nothing was published")
            raise RunFailed(blocked, record_failure(ctx, blocked))
    return ctx.publish_dir
