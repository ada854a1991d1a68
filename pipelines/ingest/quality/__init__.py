"""Declarative data-quality checks of the input tables with Great Expectations (imported lazily)."""

from pipelines.ingest.quality.expectations import (
    DEFAULT_MOSTLY,
    DEFAULT_REJECT_RATE_THRESHOLD,
    Check,
    build_suite,
    prepare_frame,
    table_checks,
)
from pipelines.ingest.quality.validation import (
    ExpectationOutcome,
    TableValidation,
    results_to_dict,
    validate_tables,
)

__all__ = [
    "DEFAULT_MOSTLY",
    "DEFAULT_REJECT_RATE_THRESHOLD",
    "Check",
    "ExpectationOutcome",
    "TableValidation",
    "build_suite",
    "prepare_frame",
    "results_to_dict",
    "table_checks",
    "validate_tables",
]
