"""Plan imports of NDC facts into the warehouse table ``ref_ndc_import`` (they override the shipped map).

* :func:`import_fda_ndc_directory` -- the FDA NDC Directory (``product.txt`` + ``package.txt``,
  tab-separated, public domain): each package NDC becomes 11 digits, its substances are matched to the
  drug reference through the generic-name normalisation, its route comes from ROUTENAME via the route
  map.  Packages whose substances are not a known drug are counted, not stored.
* :func:`import_crosswalk` -- the plan's own ``ndc,ingredient`` CSV.  Rows whose NDC cannot be
  normalised (or with no ingredient) are returned with their row number and reason -- never dropped
  silently.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.engine.models import create_declared
from pipelines.reference.files import data_path
from pipelines.reference.load import IMPORT_TABLE
from pipelines.reference.names import normalise_generic_name
from pipelines.reference.ndc import normalise_ndc

SOURCE_FDA = "fda_ndc_directory"
SOURCE_CROSSWALK = "plan_crosswalk"


@dataclass
class ImportResult:
    read: int = 0
    matched: int = 0
    unmatched: int = 0
    #: (row number, reason) for rows refused (1-based data row numbers, header excluded)
    problems: list[tuple[int, str]] = field(default_factory=list)
    #: normalised names that matched no drug key, with how many packages/rows carried them
    unmatched_names: dict[str, int] = field(default_factory=dict)


def _route_map() -> dict[str, str]:
    with data_path("route_map.csv").open(newline="", encoding="utf-8") as fh:
        return {r["route_text"].strip().lower(): r["route"] for r in csv.DictReader(fh)}


def _known_drugs(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """drug_key -> ';'-joined ATC codes, from the shipped drug reference."""
    path = str(data_path("drug_reference.csv")).replace("'", "''")
    rows = con.execute(
        f"SELECT drug_key, atc_codes FROM read_csv('{path}', header = true, all_varchar = true)"
    ).fetchall()
    return {k: a or "" for k, a in rows}


def _upsert(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    create_declared(con, IMPORT_TABLE)
    if not rows:
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ref_import_new (ndc11 VARCHAR, drug_key VARCHAR, "
        "route VARCHAR, dosage_form VARCHAR, atc_code VARCHAR, source VARCHAR, imported_at TIMESTAMP)"
    )
    con.executemany("INSERT INTO _ref_import_new VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        f"""DELETE FROM {IMPORT_TABLE} WHERE ndc11 IN (SELECT ndc11 FROM _ref_import_new);
        INSERT INTO {IMPORT_TABLE}
        SELECT DISTINCT ON (ndc11) * FROM _ref_import_new ORDER BY ndc11;
        DROP TABLE _ref_import_new;"""
    )


def _read_tsv(path: Path) -> list[dict[str, str]]:
    # FDA files are tab-separated without quoting; older releases are Latin-1
    text = path.read_bytes().decode("utf-8", errors="replace")
    reader = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{(k or "").strip().upper(): (v or "").strip() for k, v in row.items()} for row in reader]


def substance_key(substance_name: str | None) -> str | None:
    """Drug key of an FDA SUBSTANCENAME ("AMLODIPINE BESYLATE; BENAZEPRIL HYDROCHLORIDE")."""
    if not substance_name:
        return None
    return normalise_generic_name(" / ".join(p for p in substance_name.split(";") if p.strip()))


def import_fda_ndc_directory(con: duckdb.DuckDBPyConnection, directory: str | Path) -> ImportResult:
    """Import FDA ``product.txt`` + ``package.txt`` from ``directory`` into ``ref_ndc_import``."""
    directory = Path(directory)
    products = {row["PRODUCTID"]: row for row in _read_tsv(directory / "product.txt")}
    by_product_ndc = {row["PRODUCTNDC"]: row for row in products.values()}
    routes, drugs = _route_map(), _known_drugs(con)
    result, rows, now = ImportResult(), [], datetime.now()
    for number, pkg in enumerate(_read_tsv(directory / "package.txt"), start=1):
        result.read += 1
        product = products.get(pkg.get("PRODUCTID", "")) or by_product_ndc.get(pkg.get("PRODUCTNDC", ""))
        ndc = normalise_ndc(pkg.get("NDCPACKAGECODE"))
        if ndc is None or product is None:
            result.unmatched += 1
            reason = "unrecognised NDCPACKAGECODE" if ndc is None else "no product row for the package"
            result.problems.append((number, reason))
            continue
        key = substance_key(product.get("SUBSTANCENAME")) or normalise_generic_name(
            product.get("NONPROPRIETARYNAME", "").replace(" and ", " / ")
        )
        if key not in drugs:
            result.unmatched += 1
            result.unmatched_names[key or ""] = result.unmatched_names.get(key or "", 0) + 1
            continue
        first_route = (product.get("ROUTENAME") or "").split(";")[0].strip().lower()
        route = routes.get(first_route, first_route or None)
        atc = drugs[key] if ";" not in drugs[key] else ""
        form = (product.get("DOSAGEFORMNAME") or "").lower() or None
        rows.append((ndc, key, route, form, atc, SOURCE_FDA, now))
        result.matched += 1
    _upsert(con, rows)
    return result


def import_crosswalk(con: duckdb.DuckDBPyConnection, csv_path: str | Path) -> ImportResult:
    """Import a plan crosswalk CSV with columns ``ndc,ingredient`` into ``ref_ndc_import``."""
    result, rows, now = ImportResult(), [], datetime.now()
    with Path(csv_path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"ndc", "ingredient"} - {(c or "").strip().lower() for c in reader.fieldnames or []}
        if missing:
            raise ValueError(f"{csv_path}: crosswalk lacks column(s) {sorted(missing)}; expected ndc,ingredient")
        for number, raw in enumerate(reader, start=1):
            row = {(k or "").strip().lower(): (v or "") for k, v in raw.items()}
            result.read += 1
            ndc = normalise_ndc(row["ndc"])
            key = normalise_generic_name(row["ingredient"])
            if ndc is None:
                result.problems.append((number, f"ndc {row['ndc']!r} is not an 11-digit or hyphenated 10-digit NDC"))
            elif key is None:
                result.problems.append((number, "ingredient is empty"))
            else:
                rows.append((ndc, key, None, None, None, SOURCE_CROSSWALK, now))
                result.matched += 1
                continue
            result.unmatched += 1
    _upsert(con, rows)
    return result
