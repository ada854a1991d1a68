"""What one run is about: home folder, extract, as-of date, settings, and where it is being written.

Both entry points (``mtm run`` and the Dagster assets) build the same ``RunContext``; it holds no
framework objects, so every step can be called from plain tests.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines import PROJECT_DIR, __version__
from pipelines.run_state.errors import SettingsError
from pipelines.run_state.settings import read_settings_file, resolve_settings

SAMPLE_EXTRACT = PROJECT_DIR / "data_samples"
DEFAULT_HOME = Path(".mtm")


#: DuckDB's own memory cap; past it, joins and sorts spill to <home>/duckdb_tmp (env MTM_MEMORY_LIMIT)
DEFAULT_MEMORY_LIMIT = "6GB"


def duckdb_config(home: Path) -> dict[str, str | bool | int | float | list[str]]:
    """Bounded memory for a nightly run on a modest machine: spill to disk instead of growing."""
    return {"memory_limit": os.environ.get("MTM_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
            "temp_directory": str(Path(home) / "duckdb_tmp"), **duckdb_threads()}


def duckdb_threads() -> dict[str, int]:
    """DuckDB's worker threads: every core (DuckDB's default) unless ``MTM_THREADS`` says how many, for a run
    that shares the machine with other work (two test workers on two cores each take one: small queries on
    two threads each ran ~15% slower side by side than on one)."""
    threads = os.environ.get("MTM_THREADS", "").strip()
    if not threads:
        return {}
    if not threads.isdigit() or int(threads) < 1:
        raise SettingsError(f"MTM_THREADS={threads!r}: expected a whole number of threads, 1 or more")
    return {"threads": int(threads)}


def default_home() -> Path:
    return Path(os.environ.get("MTM_HOME", DEFAULT_HOME))


def extract_as_of(extract_dirs: list[Path]) -> dt.date | None:
    """An extract may name its own as-of date in ``extract.toml`` (the bundled sample does)."""
    for directory in reversed(extract_dirs):
        marker = Path(directory) / "extract.toml"
        if marker.exists():
            try:
                with marker.open("rb") as fh:
                    value = tomllib.load(fh).get("as_of_date")
                if value:
                    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            except (tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
                raise SettingsError(f"{marker}: as_of_date is not readable ({exc}); "
                                    "expected a line as_of_date = 2025-09-30") from exc
    return None


def parse_known_at(value: dt.datetime | str | None) -> dt.datetime | None:
    """``2025-09-15T08:00:00`` as written (no time-zone conversion); a date alone means the end of that day."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        if len(value) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time.max)
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError as exc:
        raise SettingsError(f"as-known-at {value!r} is not a timestamp (expected YYYY-MM-DD or "
                            "YYYY-MM-DDTHH:MM:SS)") from exc


@dataclass
class RunContext:
    home: Path
    extract_dirs: list[Path]
    as_of: dt.date
    settings: dict[str, dict[str, Any]]
    settings_file: Path | None
    source: str = "canonical"
    #: the audit cut-off (mtm run --as-known-at): claim versions processed after it are ignored
    as_known_at: dt.datetime | None = None
    run_id: str = field(default_factory=lambda: dt.datetime.now().strftime("%Y%m%dT%H%M%S%f"))
    #: mtm run --delivery: the one folder of extract_dirs (the last) that is new; the others are read from
    #: the home's stored typed staging (pipelines/ingest/staging_store.py)
    delivery: Path | None = None
    #: which engine runs the SQL models (mtm run --engine): DuckDB, or Apache Spark (pipelines/engine/spark_engine.py)
    engine: str = "duckdb"
    #: the Spark master with engine = "spark" (mtm run --spark-master): local[2], spark://host:7077, ...
    spark_master: str = "local[2]"

    @classmethod
    def create(
        cls,
        home: Path | str | None = None,
        extract_dirs: list[Path] | list[str] | list[Path | str] | Path | str | None = None,
        as_of: dt.date | str | None = None,
        settings_file: Path | str | None = None,
        source: str = "canonical",
        run_id: str | None = None,
        as_known_at: dt.datetime | str | None = None,
        delivery: Path | str | None = None,
        engine: str = "duckdb",
        spark_master: str | None = None,
    ) -> RunContext:
        if extract_dirs is None:
            extract_dirs = [SAMPLE_EXTRACT]
        elif isinstance(extract_dirs, (str, Path)):
            extract_dirs = [extract_dirs]
        dirs = [Path(d).resolve() for d in extract_dirs]
        if isinstance(as_of, str) and as_of:
            try:
                as_of = dt.date.fromisoformat(as_of)
            except ValueError as exc:
                raise SettingsError(f"as-of date {as_of!r} is not a date (expected YYYY-MM-DD)") from exc
        as_of = as_of or extract_as_of(dirs) or dt.date.today()
        settings_path = Path(settings_file).resolve() if settings_file else None
        try:
            settings = resolve_settings(read_settings_file(settings_path), as_of.year)
        except SettingsError as exc:  # name the file: the analyst may keep several
            raise SettingsError(f"{settings_path}: {exc}" if settings_path and str(settings_path) not in str(exc)
                                else str(exc)) from exc
        ctx = cls(
            home=Path(home or default_home()).resolve(),
            extract_dirs=dirs,
            as_of=as_of,
            settings=settings,
            settings_file=settings_path,
            source=source,
            as_known_at=parse_known_at(as_known_at),
            delivery=Path(delivery).resolve() if delivery else None,
            engine=engine,
            spark_master=spark_master or "local[2]",
        )
        if engine not in ("duckdb", "spark"):
            raise SettingsError(f"engine {engine!r} is not known (expected duckdb or spark)")
        if run_id:
            ctx.run_id = run_id
        return ctx

    # -- places ---------------------------------------------------------------------------------
    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def staging_dir(self) -> Path:
        """The run's output folder while it is being written; renamed into place when complete."""
        return self.runs_dir / f".incoming-{self.as_of.isoformat()}-{self.run_id}"

    @property
    def failed_dir(self) -> Path:
        """Where a failed run's partial folder (its rejects.csv, its manifest with the error) is moved."""
        return self.home / "failed" / f"{self.as_of.isoformat()}-{self.run_id}"

    @property
    def publish_dir(self) -> Path:
        return self.runs_dir / self.as_of.isoformat()

    def connect(self) -> duckdb.DuckDBPyConnection:
        self.home.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.warehouse_path), config=duckdb_config(self.home))


def code_version() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{__version__}+{sha}" if sha else __version__
