"""Resources: the run's parameters (home, extract, as-of date, settings) and the DuckDB warehouse."""


import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.run_context import RunContext, default_home, duckdb_config


class MtmRunResource(dg.ConfigurableResource):
    """Where a run reads and writes. Empty values mean: bundled sample, its own as-of date, defaults."""

    home: str = ""
    extract_dirs: list[str] = []
    as_of: str = ""
    settings_file: str = ""
    source: str = "canonical"
    #: the audit cut-off (mtm run --as-known-at), ISO timestamp; empty = none
    as_known_at: str = ""
    #: set by `mtm run` so that a failure can be recorded under the same id; else Dagster's run id
    run_id: str = ""

    def effective_run_id(self, dagster_run_id: str) -> str:
        return self.run_id or dagster_run_id

    def run_context(self, run_id: str) -> RunContext:
        return RunContext.create(
            home=self.home or None,
            extract_dirs=[Path(d) for d in self.extract_dirs] or None,
            as_of=self.as_of or None,
            settings_file=self.settings_file or None,
            source=self.source,
            run_id=self.run_id or run_id,
            as_known_at=self.as_known_at or None,
        )


def resources_for(home: Path | str | None = None, **run_values) -> dict:
    home_path = Path(home or os.environ.get("MTM_HOME") or default_home()).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    return {
        "mtm": MtmRunResource(home=str(home_path), **run_values),
        "duckdb": DuckDBResource(database=str(home_path / "warehouse.duckdb"),
                                 connection_config=duckdb_config(home_path)),
    }
