"""Run the contract's expectation suites on raw text frames with Great Expectations and build Data Docs.

GX 1.x cannot validate DuckDB through SQLAlchemy, so callers read each table (or a sample of it) into
pandas as text and pass the frames here. One ephemeral GX context per call: one pandas data source,
one dataframe asset + whole-dataframe batch definition + suite + validation definition per table;
every validation result lands in the context's in-memory store and a filesystem Data Docs site is
built from them into ``docs_dir``.

PHI: the frames GX sees have PHI columns masked (see :mod:`pipelines.ingest.quality.expectations`), so raw
PHI values cannot reach the results or the Data Docs.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.ingest.contract import TABLES
from pipelines.ingest.quality.expectations import DEFAULT_MOSTLY, build_suite, prepare_frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DOCS_SITE = "mtm_quality"
DATASOURCE = "extract"
#: values per failing expectation shown in Data Docs (PHI columns show masked shapes only)
PARTIAL_UNEXPECTED_COUNT = 10


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    column: str | None
    success: bool
    unexpected_count: int | None = None
    #: percent of the non-null values (the basis GX applies ``mostly`` to)
    unexpected_percent: float | None = None
    element_count: int | None = None
    observed_value: Any = None
    #: the exception message when GX could not evaluate the expectation
    exception: str | None = None


@dataclass(frozen=True)
class TableValidation:
    table: str
    success: bool
    rows_validated: int
    mostly: float
    expectations: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]


def _gx():
    """Import GX with analytics off (the import costs seconds, so it happens only when needed)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def _context(docs_dir: Path):
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(
        site_name=DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
        },
    )
    return context


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return str(value)


def _outcome(result) -> ExpectationOutcome:
    config = result.expectation_config
    res = result.result or {}
    exc = result.exception_info or {}
    message = exc.get("exception_message") if exc.get("raised_exception") else None
    count = res.get("unexpected_count")
    return ExpectationOutcome(
        expectation_type=config.type,
        column=config.kwargs.get("column"),
        success=bool(result.success),
        unexpected_count=None if count is None else int(count),
        unexpected_percent=res.get("unexpected_percent"),
        element_count=res.get("element_count"),
        observed_value=_json_safe(res.get("observed_value")),
        exception=message,
    )


def validate_tables(
    frames: dict[str, pd.DataFrame],
    docs_dir: Path,
    mostly: float = DEFAULT_MOSTLY,
    *,
    run_name: str | None = None,
) -> list[TableValidation]:
    """Validate each raw text frame against its table's suite and build Data Docs into ``docs_dir``.

    ``frames``: table name -> the table as read from its files (all text; may be a sample).
    ``mostly``: 1 - the reject-rate threshold. ``run_name`` (e.g. the as-of date) names the run in
    the Data Docs. ``docs_dir/index.html`` exists afterwards.
    """
    unknown = sorted(set(frames) - set(TABLES))
    if unknown:
        raise ValueError(f"not tables of the input contract: {', '.join(unknown)}")
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(docs_dir.resolve())
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    source = context.data_sources.add_pandas(DATASOURCE)
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_UNEXPECTED_COUNT}

    validations: list[TableValidation] = []
    for name, frame in frames.items():
        table = TABLES[name]
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add(build_suite(table, mostly, columns=frame.columns))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        result = definition.run(
            batch_parameters={"dataframe": prepare_frame(table, frame)},
            result_format=result_format,
            run_id=run_id,
        )
        validations.append(
            TableValidation(
                table=name,
                success=bool(result.success),
                rows_validated=len(frame),
                mostly=mostly,
                expectations=[_outcome(r) for r in result.results],
            )
        )
    context.build_data_docs(site_names=[DOCS_SITE])
    return validations


def results_to_dict(validations: list[TableValidation]) -> dict:
    """JSON-ready summary for the run manifest."""
    return {
        "success": all(v.success for v in validations),
        "tables": {
            v.table: {
                "success": v.success,
                "rows_validated": v.rows_validated,
                "mostly": v.mostly,
                "expectations_evaluated": len(v.expectations),
                "expectations_failed": len(v.failed),
                "expectations": [asdict(e) for e in v.expectations],
            }
            for v in validations
        },
    }
