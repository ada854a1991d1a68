"""The SQL models run by Apache Spark (issue 31: `mtm run --engine spark`), everything else as on DuckDB.

Only the SQL models change engine. The reader (ingest), the seeds, the Python steps, the checks, the
exports and publishing keep running on the run's DuckDB warehouse, so the run folder is written by the same
code whichever engine computed the tables. Between the two:

* a table a model reads that DuckDB built (a seed, a step's table, a declared table) is handed to Spark as
  Parquet once per run (``<home>/spark/<run>/duckdb/<table>.parquet``, a temp view of that name);
* each model's SELECT (macros expanded, transpiled by ``pipelines.engine.spark_sql``, or its declared
  ``<model>.spark.sql`` variant) is executed by Spark SQL and written as Parquet
  (``<home>/spark/<run>/spark/<model>/``); the view of that name then reads the Parquet, so every later model
  starts from stored rows rather than from an ever longer query plan;
* the model's rows are collected back into the warehouse as the table of that name, **with the column
  names and types DuckDB gives the same SELECT** (DuckDB binds the model's SQL, ``DESCRIBE``, without running
  it): a number Spark computed as a wider decimal or a string Spark typed differently is written in the
  run folder exactly as the DuckDB engine writes it.

The per-run Parquet folder is deleted when the run ends. pyspark is an optional dependency
(``pip install .[spark]``, ``make test-spark``); nothing here is imported on the DuckDB path.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from pipelines.engine.db import scalar
from pipelines.engine.models import SPARK_VARIANT_SUFFIX, Model, catalog, create_declared, declared

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"
#: a local run has 2 cores; Spark's default of 200 shuffle partitions is 200 tiny tasks per join (env
#: MTM_SPARK_SHUFFLE_PARTITIONS); a cluster sets its own in spark-defaults.conf or here
DEFAULT_SHUFFLE_PARTITIONS = 4


class SparkUnavailable(RuntimeError):
    """pyspark (or Java) is not installed: the message says how to install them."""


def variant_path(model: Model) -> Path:
    return model.path.with_name(model.name + SPARK_VARIANT_SUFFIX)


@cache
def spark_sql_of(name: str) -> str:
    """The Spark SQL of a model: its declared variant when there is one, else the transpiled SELECT."""
    from pipelines.engine.spark_sql import to_spark

    model = catalog()[name]
    variant = variant_path(model)
    if variant.exists():
        return variant.read_text().strip().rstrip(";")
    return to_spark(model)


def check_available() -> None:
    """Raise ``SparkUnavailable`` (saying how to install) when pyspark or Java is missing."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        raise SparkUnavailable("the Spark engine needs pyspark and Java 17+: make spark "
                               "(or pip install '.[spark]' and Debian's default-jre-headless)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("the Spark engine needs Java 17+: make spark "
                               "(or apt-get install default-jre-headless)")


def session(master: str, home: Path) -> SparkSession:
    """A Spark session for one run: UTC session time, Parquet timestamps as micros, no UI, small shuffles."""
    check_available()
    from pyspark.sql import SparkSession

    from pipelines.engine.spark_sql import FORMAT_FUNCTION, duckdb_format  # sqlglot: not imported on the DuckDB path
    local_dir = home / "spark_tmp"
    local_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master(master).appName("mtm-targeting")
        .config("spark.sql.shuffle.partitions",
                os.environ.get("MTM_SPARK_SHUFFLE_PARTITIONS", str(DEFAULT_SHUFFLE_PARTITIONS)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(local_dir))
        .config("spark.driver.memory", os.environ.get("MTM_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", str(local_dir / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={local_dir}")
    )
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)  # the error is raised, not logged
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers of duckdb_format: this interpreter
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.udf.register(FORMAT_FUNCTION, duckdb_format, "string")
    return spark


@dataclass
class SparkModels:
    """The SQL models of one run, executed by Spark; the results collected back into the run's warehouse."""

    master: str
    home: Path
    run_id: str
    _spark: Any = None
    #: tables Spark can read in this run (a view of the same name), DuckDB's hand-overs and Spark's own
    _views: set[str] = field(default_factory=set)

    @property
    def folder(self) -> Path:
        return self.home / "spark" / self.run_id

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            self._spark = session(self.master, self.home)
        return self._spark

    def _hand_over(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """A table DuckDB built, as Parquet Spark reads (written once per run)."""
        if table in declared() and declared()[table].persistent:
            create_declared(con, table)  # a persistent declared table is empty on a fresh warehouse
        path = self.folder / "duckdb" / f"{table}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {table}) TO '{_quoted(path)}' (FORMAT parquet)")
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)
        self._views.add(table)

    def build(self, con: duckdb.DuckDBPyConnection, model: Model) -> dict[str, Any]:
        """Build one model on Spark and collect it into the warehouse; returns its rows and seconds."""
        started = time.perf_counter()
        for table in sorted(model.reads):
            if table not in self._views:
                self._hand_over(con, table)
        columns = con.execute(f"DESCRIBE {model.sql}").fetchall()  # DuckDB's names and types, not run
        names = [c[0] for c in columns]
        path = self.folder / "spark" / model.name
        frame = self.spark.sql(spark_sql_of(model.name))
        if [c.lower() for c in frame.columns] != [n.lower() for n in names]:  # a variant out of step
            raise ValueError(f"{model.name}: Spark gives the columns {frame.columns}, DuckDB {names}; "
                             f"the Spark SQL ({variant_path(model).name} or the translation) must name the same")
        frame.write.mode("overwrite").parquet(str(path))
        self.spark.read.parquet(str(path)).createOrReplaceTempView(model.name)
        self._views.add(model.name)
        select = ", ".join(f'CAST("{n}" AS {c[1]}) AS "{n}"' for n, c in zip(names, columns, strict=True))
        con.execute(f"CREATE OR REPLACE TABLE {model.name} AS SELECT {select} "
                    f"FROM read_parquet('{_quoted(path)}/*.parquet')")
        rows = scalar(con, f"SELECT count(*) FROM {model.name}")
        return {"table": model.name, "rows": rows, "seconds": round(time.perf_counter() - started, 3),
                "engine": "spark"}

    def close(self) -> None:
        """Stop the session and delete the run's Parquet hand-overs."""
        if self._spark is not None:
            for view in self._views:
                self._spark.catalog.dropTempView(view)
            self._spark.stop()
            self._spark = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
