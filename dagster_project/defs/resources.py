"""Resources: the run's parameters (home, extract, as-of date, settings), the DuckDB warehouse, and the engine that
runs the SQL models (DuckDB, or Spark: issue 31)."""


import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines.engine.models import install_macros
from pipelines.engine.spark_engine import SparkModels
from pipelines.run_state.run_context import RunContext, default_home, duckdb_config


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
    #: mtm run --delivery: the new delivery folder (the last of extract_dirs); empty = read every folder
    delivery: str = ""

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
            delivery=self.delivery or None,
        )


class WarehouseResource(DuckDBResource):
    """The warehouse, opened once per process that executes steps rather than once per step.

    ``DuckDBResource`` connects and closes for every ``get_connection()``; on a file database each open
    reads the catalog and each close checkpoints, which cost more than the SQL of most of the ~160 small
    steps of a run. Dagster sets a resource up once per run in the in-process executor (`mtm run`, the
    tests) and once per step process in the multiprocess one (the UI), so one connection per setup keeps
    each process's use of the file exactly as before, minus the repeated opening. The connection is
    closed (and the database checkpointed) when Dagster tears the resource down at the end of the run or
    step, before `mtm run` reports a failure or returns. The macros are installed once per connection
    too (every step used to re-create all of them).
    """

    _shared: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)
    _opened: AbstractContextManager | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._opened = super().get_connection()  # the base class's connect: its config and retries
        self._shared = self._opened.__enter__()
        install_macros(self._shared)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        opened, self._opened, self._shared = self._opened, None, None
        if opened is not None:
            opened.__exit__(None, None, None)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the project's macros installed (``sql/_macros.sql``)."""
        if self._shared is None:  # used outside a run (a direct call): a connection of its own
            with super().get_connection() as con:
                install_macros(con)
                yield con
            return
        yield self._shared


class SqlEngineResource(dg.ConfigurableResource):
    """Which engine builds the SQL model assets: ``duckdb`` (the default: the model's SQL on the warehouse) or
    ``spark`` (its Spark SQL on a Spark session, the rows collected into the warehouse;
    pipelines/engine/spark_engine.py).
    The asset graph is the same either way: only this resource's configuration changes. One Spark session per
    process that executes model steps (per run in process; per step with the multiprocess executor of the UI)."""

    engine: str = "duckdb"
    spark_master: str = "local[2]"
    _spark: SparkModels | None = PrivateAttr(default=None)

    def spark_models(self, ctx: RunContext) -> SparkModels | None:
        """The Spark builder of this run (None on DuckDB), started on first use."""
        if self.engine != "spark":
            return None
        if self._spark is None or self._spark.run_id != ctx.run_id:
            self._spark = SparkModels(self.spark_master, ctx.home, ctx.run_id)
        return self._spark

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        spark, self._spark = self._spark, None
        if spark is not None:
            spark.close()


def resources_for(home: Path | str | None = None, engine: str = "duckdb", spark_master: str = "local[2]",
                  **run_values) -> dict:
    home_path = Path(home or os.environ.get("MTM_HOME") or default_home()).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    return {
        "mtm": MtmRunResource(home=str(home_path), **run_values),
        "sql_engine": SqlEngineResource(engine=engine, spark_master=spark_master),
        "duckdb": WarehouseResource(database=str(home_path / "warehouse.duckdb"),
                                 connection_config=duckdb_config(home_path)),
    }
