"""`mtm run`: materialise the same asset graph the nightly schedule runs, in-process, then report."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.graph import ALL_ASSETS, ALL_CHECKS
from dagster_project.defs.resources import resources_for
from pipelines.publish import record_failure, run_lock
from pipelines.run_context import RunContext


class RunFailed(Exception):
    def __init__(self, error: BaseException, failed_dir):
        self.error, self.failed_dir = error, failed_dir
        super().__init__(str(error))


def _user_error(exc: BaseException) -> BaseException:
    return getattr(exc, "user_exception", None) or exc


def run_pipeline(ctx: RunContext, log_level: str = "WARNING"):
    """Run every asset for ctx; on failure the published runs and the ledger are left as they were."""
    resources = resources_for(
        ctx.home,
        extract_dirs=[str(d) for d in ctx.extract_dirs],
        as_of=ctx.as_of.isoformat(),
        settings_file=str(ctx.settings_file or ""),
        source=ctx.source,
        run_id=ctx.run_id,
    )
    with run_lock(ctx.home):
        try:
            result = dg.materialize(
                [*ALL_ASSETS, *ALL_CHECKS], resources=resources, instance=dg.DagsterInstance.ephemeral(),
                raise_on_error=True,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
        except Exception as exc:  # the step's own error carries the message for the analyst
            error = _user_error(exc)
            raise RunFailed(error, record_failure(ctx, error)) from error
    if not result.success:
        error = RuntimeError("a blocking asset check failed; see the Dagster run log")
        raise RunFailed(error, record_failure(ctx, error))
    return ctx.publish_dir
