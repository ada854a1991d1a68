"""`mtm run`: materialise the asset graph the nightly schedule runs, in-process, then report.

Every path runs this graph: `mtm run`, the nightly job, backfills and the tests (which may select the
assets they need and everything upstream of them); blocking checks run on every path.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
from dagster._core.errors import DagsterAssetCheckFailedError

from dagster_project.defs.graph import ALL_ASSETS, ALL_CHECKS
from dagster_project.defs.resources import resources_for
from dagster_project.instance import run_instance
from dagster_project.progress import RunProgress, step_count
from pipelines.publish import record_failure, run_lock
from pipelines.quality.run import stop_workers
from pipelines.run_context import RunContext


class RunFailed(Exception):
    def __init__(self, error: BaseException, failed_dir):
        self.error, self.failed_dir = error, failed_dir
        super().__init__(str(error))


def _user_error(exc: BaseException) -> BaseException:
    return getattr(exc, "user_exception", None) or exc


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    failed = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return failed


def materialize(ctx: RunContext, targets: Iterable[str] | None = None, log_level: str = "CRITICAL",
                progress: RunProgress | None = None) -> dg.ExecuteInProcessResult:
    """Materialise the graph for ``ctx`` (or only ``targets`` and what they read); no lock, no failure report.
    ``progress`` sees every step start and finish as the run goes (``mtm run``'s live display)."""
    resources = resources_for(
        ctx.home,
        extract_dirs=[str(d) for d in ctx.extract_dirs],
        as_of=ctx.as_of.isoformat(),
        settings_file=str(ctx.settings_file or ""),
        source=ctx.source,
        run_id=ctx.run_id,
        as_known_at=ctx.as_known_at.isoformat() if ctx.as_known_at else "",
        delivery=str(ctx.delivery or ""),
    )
    # a multi-asset step (run_parameters + run_signal_weight) cannot be split: take its siblings too
    selection = dg.AssetSelection.assets(*targets).upstream().required_multi_asset_neighbors() if targets else None
    try:
        return dg.materialize(
            [*ALL_ASSETS, *ALL_CHECKS], resources=resources,
            instance=run_instance(progress.event if progress else None),
            selection=selection, raise_on_error=True,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
    except Exception as exc:  # the step's own error carries the message for the analyst
        raise _user_error(exc) from None
    finally:
        stop_workers()  # a Great Expectations worker of a run that stopped early, or was not waited for


def whole_graph_progress(interactive: bool | None = None) -> RunProgress:
    """Progress of a whole-graph run (``mtm run``): N is every step of the graph."""
    return RunProgress(step_count([*ALL_ASSETS, *ALL_CHECKS]), interactive=interactive)


def run_pipeline(ctx: RunContext, log_level: str = "WARNING", progress: RunProgress | None = None):
    """Run every asset for ctx and publish; on failure the published runs and the ledger stay as they were."""
    with run_lock(ctx.home, ctx.settings["run"]["lock_wait_seconds"]):
        try:
            if progress is None:
                result = materialize(ctx, log_level=log_level)
            else:
                with progress.display():
                    result = materialize(ctx, log_level=log_level, progress=progress)
        except DagsterAssetCheckFailedError as error:
            failed = ", ".join(str(error).splitlines()[1:])
            blocked = RuntimeError(f"a blocking check failed ({failed}); nothing was published")
            raise RunFailed(blocked, record_failure(ctx, blocked)) from error
        except Exception as error:
            raise RunFailed(error, record_failure(ctx, error)) from error
        if not result.success or not ctx.publish_dir.exists():
            failed = ", ".join(_failed_checks(result)) or "see the Dagster run log"
            blocked = RuntimeError(f"a blocking check failed ({failed}); nothing was published")
            raise RunFailed(blocked, record_failure(ctx, blocked))
    return ctx.publish_dir
