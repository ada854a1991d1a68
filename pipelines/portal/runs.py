"""Reading published run folders (``<home>/runs/<as_of>/``) -- the only data the portal shows.

Files are read with polars straight from the folder: no DuckDB warehouse connection, so a pipeline run
in progress (which holds the warehouse) never blocks a page.  Run folders are renamed into place whole,
so a page never sees a half-written run.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

RUN_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Run:
    as_of: str
    folder: Path
    manifest: dict

    @property
    def status(self) -> str:
        return self.manifest.get("status", "unknown")

    @property
    def targeting(self) -> dict:
        return self.manifest.get("targeting", {})

    def has(self, name: str) -> bool:
        return (self.folder / name).is_file()

    def files(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir() if p.is_file() and not p.name.startswith("."))


def runs_dir(home: Path) -> Path:
    return Path(home) / "runs"


def list_runs(home: Path) -> list[Run]:
    """Published runs, newest as-of date first."""
    folder = runs_dir(home)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if p.is_dir() and RUN_NAME.match(p.name)), reverse=True)
    return [r for r in (get_run(home, n) for n in names) if r is not None]


def get_run(home: Path, as_of: str) -> Run | None:
    """The published run of an as-of date (``latest``: the newest), or None."""
    if as_of == "latest":
        runs = list_runs(home)
        return runs[0] if runs else None
    if not RUN_NAME.match(as_of):
        return None
    folder = runs_dir(home) / as_of
    manifest_path = folder / "run_manifest.json"
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError):
        manifest = {"status": "unreadable manifest"}
    return Run(as_of, folder, manifest)


def published_file(run: Run, name: str) -> Path | None:
    """A top-level file of the run folder by plain name (no paths, no hidden files), or None."""
    if not FILE_NAME.match(name):
        return None
    path = run.folder / name
    return path if path.is_file() and path.resolve().parent == run.folder.resolve() else None


def read_csv(path: Path) -> pl.DataFrame:
    """Every column as text: member ids, phones and ZIP codes keep their leading zeros."""
    return pl.read_csv(path, infer_schema=False)


def member_contracts(run: Run) -> pl.DataFrame:
    return pl.read_parquet(run.folder / "member_summary.parquet", columns=["member_id", "contract_id"])


def for_contracts(run: Run, frame: pl.DataFrame, contracts: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """Rows of the given contracts (all rows when none is given); by the file's own contract_id column,
    else by each member's contract in member_summary."""
    if not contracts:
        return frame
    if "contract_id" in frame.columns:
        return frame.filter(pl.col("contract_id").is_in(list(contracts)))
    keep = member_contracts(run).filter(pl.col("contract_id").is_in(list(contracts)))["member_id"]
    return frame.filter(pl.col("member_id").is_in(keep.implode()))


def contracts_of(run: Run) -> list[str]:
    return sorted(member_contracts(run)["contract_id"].drop_nulls().unique().to_list())


def contract_cut(run: Run, published: str, contract: str) -> bytes:
    """The bytes of a published list cut to one contract (CSV, or the outreach workbook)."""
    if published.endswith(".xlsx"):
        return _outreach_xlsx_cut(run, contract)
    frame = for_contracts(run, read_csv(run.folder / published), [contract])
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


_KIND_TYPES = {"text": pl.Utf8, "date": pl.Date, "int": pl.Int64, "number": pl.Float64, "money": pl.Float64,
               "bool": pl.Boolean}


def _outreach_xlsx_cut(run: Run, contract: str) -> bytes:
    """The outreach workbook of one contract (one sheet per CMR service of the call list), written by the same
    code as the published one."""
    from pipelines.publishing.exports.outreach import CALL_SERVICES, write_outreach_xlsx
    from pipelines.publishing.output_contract import OUTREACH_COLUMNS

    frame = read_csv(run.folder / "outreach_list.csv").filter(pl.col("contract_id") == contract)
    typed = frame.select([_typed(name, kind) for name, (kind, _) in OUTREACH_COLUMNS.items()])
    sheets = {service: (OUTREACH_COLUMNS, typed.filter(pl.col("service") == service).rows())
              for service in CALL_SERVICES}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cut.xlsx"
        write_outreach_xlsx(sheets, path)
        return path.read_bytes()


def _typed(name: str, kind: str) -> pl.Expr:
    text = pl.col(name).replace("", None)
    if kind == "bool":
        return (text.str.to_lowercase() == "true").alias(name)
    if kind == "date":
        return text.str.to_date("%Y-%m-%d").alias(name)
    return text.cast(_KIND_TYPES[kind]).alias(name)


def member_rows(run: Run, file_stem: str, member_id: str) -> list[dict]:
    """One member's rows of a member-level file of the run: its Parquet file, else its CSV file (every column
    as text, like ``read_csv``); [] when the run has neither."""
    parquet, csv = run.folder / f"{file_stem}.parquet", run.folder / f"{file_stem}.csv"
    if parquet.is_file():
        return pl.scan_parquet(parquet).filter(pl.col("member_id") == member_id).collect().to_dicts()
    if csv.is_file():
        return read_csv(csv).filter(pl.col("member_id") == member_id).to_dicts()
    return []
