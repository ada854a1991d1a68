"""The reference tables outside a pipeline run (``mtm reference dump``, imports, tests).

A run builds them as assets of the graph; this builds the same seeds and ``sql/reference`` models with
the same functions, in dependency order, for the commands that need only the reference data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.engine.db import scalar
from pipelines.engine.models import build_model, build_order, catalog, create_declared, install_macros
from pipelines.engine.seeds import load_seed, seeds

IMPORT_TABLE = "ref_ndc_import"


def reference_tables() -> list[str]:
    """The reference-layer models, in build order."""
    models = catalog()
    return [m.name for m in build_order(models, {n for n, m in models.items() if m.layer == "reference"})]


def build_reference_tables(con: duckdb.DuckDBPyConnection, imports_from: Path | None = None) -> dict[str, int]:
    """Seeds + reference models in ``con``; the plan's NDC imports are read from the warehouse
    ``imports_from`` when given (else from ``con`` itself). Returns rows per reference table."""
    install_macros(con)
    create_declared(con, IMPORT_TABLE)
    if imports_from is not None and Path(imports_from).exists():
        con.execute(f"ATTACH '{str(imports_from).replace(chr(39), chr(39) * 2)}' AS warehouse (READ_ONLY)")
        try:
            has = scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'warehouse' "
                              f"AND table_name = '{IMPORT_TABLE}'")
            if has:
                con.execute(f"INSERT INTO {IMPORT_TABLE} SELECT * FROM warehouse.{IMPORT_TABLE}")
        finally:
            con.execute("DETACH warehouse")
    for seed in seeds().values():
        load_seed(con, seed)
    # ref_drug also reads the claims' generic names (a run's ref_generic_name step); outside a run there are
    # no claims, so none
    con.execute("CREATE TABLE IF NOT EXISTS ref_generic_name (generic_name VARCHAR, drug_key VARCHAR)")
    models = catalog()
    return {name: build_model(con, models[name])["rows"] for name in reference_tables()}
