"""Reference data: what each fill *is* (drug identity, classes, routes) and which codes are valid.

Everything here is data shipped in ``pipelines/reference/data`` (see PROVENANCE.md there); the Python
modules only read it, normalise identifiers the same way everywhere, and load it into DuckDB.
"""

from pipelines.reference.files import DATA_DIR, reference_versions
from pipelines.reference.names import normalise_generic_name
from pipelines.reference.ndc import normalise_ndc

__all__ = [
    "DATA_DIR",
    "normalise_generic_name",
    "normalise_ndc",
    "reference_versions",
]
