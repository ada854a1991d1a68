"""Load the shipped reference data into DuckDB tables that the SQL models join to.

Tables (all replaced on every call, so a run always sees the files it records in its manifest):

* ``ref_drug`` -- drug_reference.csv, flags BOOLEAN, plus ``atc_code_list VARCHAR[]``;
* ``ref_ndc`` -- ndc_map.csv, overridden NDC by NDC by the plan's imports (``ref_ndc_import``, kept
  in the warehouse by :mod:`pipelines.reference.imports`), which take precedence;
* ``ref_route`` -- route text (lower case) -> canonical route, local_use;
* ``ref_drug_condition_rule`` / ``ref_drug_atc`` / ``ref_drug_condition`` -- the drug evidence rule
  of targeting-rules.md section 4 applied code by code (a code is evidence when it starts with an
  include prefix and *that same code* starts with no exclude prefix of the condition), so a
  combination product's own code decides (sacubitril/valsartan C09DX04 -> heart failure only);
* ``ref_condition_dx`` -- the ICD value sets (prefixes);
* ``ref_icd_valid`` -- every listed ICD code and all its prefixes of length >= 3 (a claim code is
  valid when it equals one of these);
* ``ref_cms_parameters`` -- the CMS limits per contract year.
"""

from __future__ import annotations

import duckdb

from pipelines.reference.files import data_path
from pipelines.reference.ndc import ndc_sql_macro

FLAG_COLUMNS = (
    "maintenance",
    "pqa_statin",
    "pqa_ras",
    "pqa_diabetes_noninsulin",
    "pqa_insulin",
    "pqa_sacubitril_valsartan",
    "opioid",
    "benzodiazepine",
    "anticholinergic",
    "cns_active",
    "high_risk_elderly",
)
NDC_COLUMNS = ("ndc11", "drug_key", "route", "dosage_form", "atc_code", "source")
IMPORT_TABLE = "ref_ndc_import"


def _csv(name: str) -> str:
    """read_csv expression for a shipped file, every column as text (NDCs keep their zeros)."""
    path = str(data_path(name)).replace("'", "''")
    return f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"')"


def ensure_import_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the persistent plan-import table if the warehouse has none yet."""
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {IMPORT_TABLE} (
            ndc11 VARCHAR PRIMARY KEY, drug_key VARCHAR NOT NULL, route VARCHAR, dosage_form VARCHAR,
            atc_code VARCHAR, source VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL)"""
    )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()",
        [name],
    ).fetchone()
    return bool(row and row[0])


def load_reference_tables(
    con: duckdb.DuckDBPyConnection, imports_con: duckdb.DuckDBPyConnection | None = None
) -> dict[str, int]:
    """Create the ``ref_*`` tables in ``con``; returns row counts per table.

    ``imports_con`` is the warehouse connection holding ``ref_ndc_import`` when that is not ``con``
    itself (e.g. a per-run database); by default the imports are looked for in ``con``.
    """
    con.execute(ndc_sql_macro())
    flags = ", ".join(f"{c} = '1' AS {c}" for c in FLAG_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_drug AS
        SELECT drug_key, atc_codes, drug_class, {flags},
               list_filter(string_split(coalesce(atc_codes, ''), ';'), x -> x <> '') AS atc_code_list
        FROM {_csv("drug_reference.csv")}"""
    )
    cols = ", ".join(NDC_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_ndc_shipped AS
        SELECT {cols} FROM {_csv("ndc_map.csv")}"""
    )
    src = imports_con if imports_con is not None else con
    if _has_table(src, IMPORT_TABLE):
        if src is con:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _ref_ndc_import_rows AS SELECT {cols} FROM {IMPORT_TABLE}")
        else:  # another database: materialise its rows here (a table, not a one-shot stream)
            imported = src.execute(f"SELECT {cols} FROM {IMPORT_TABLE}").fetch_arrow_table()
            con.register("_ref_ndc_import_arrow", imported)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _ref_ndc_import_rows AS SELECT {cols} FROM _ref_ndc_import_arrow"
            )
            con.unregister("_ref_ndc_import_arrow")
        con.execute(
            f"""CREATE OR REPLACE TABLE ref_ndc AS
            SELECT {cols} FROM _ref_ndc_import_rows
            UNION ALL
            SELECT {cols} FROM ref_ndc_shipped s
            WHERE NOT EXISTS (SELECT 1 FROM _ref_ndc_import_rows i WHERE i.ndc11 = s.ndc11)"""
        )
        con.execute("DROP TABLE _ref_ndc_import_rows")
    else:
        con.execute(f"CREATE OR REPLACE TABLE ref_ndc AS SELECT {cols} FROM ref_ndc_shipped")
    con.execute("DROP TABLE ref_ndc_shipped")
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_route AS
        SELECT lower(trim(route_text)) AS route_text, route, local_use = '1' AS local_use
        FROM {_csv("route_map.csv")}"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_drug_condition_rule AS
        SELECT core_condition, effect, atc_prefix FROM {_csv("drug_condition_rules.csv")}"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE ref_drug_atc AS
        SELECT DISTINCT drug_key, atc_code FROM (
            SELECT drug_key, unnest(atc_code_list) AS atc_code FROM ref_drug
            UNION ALL
            SELECT n.drug_key, n.atc_code FROM ref_ndc n
            WHERE coalesce(n.atc_code, '') <> ''
        )"""
    )
    con.execute(
        """CREATE OR REPLACE TABLE ref_drug_condition AS
        SELECT DISTINCT a.drug_key, a.atc_code, inc.core_condition
        FROM ref_drug_atc a
        JOIN ref_drug_condition_rule inc
          ON inc.effect = 'include' AND starts_with(a.atc_code, inc.atc_prefix)
        WHERE NOT EXISTS (
            SELECT 1 FROM ref_drug_condition_rule exc
            WHERE exc.effect = 'exclude' AND exc.core_condition = inc.core_condition
              AND starts_with(a.atc_code, exc.atc_prefix))"""
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_condition_dx AS
        SELECT '10' AS icd_version, core_condition, sub_condition,
               upper(replace(icd10cm_prefix, '.', '')) AS code_prefix
        FROM {_csv("core_condition_icd10.csv")}
        UNION ALL
        SELECT '9', core_condition, sub_condition, upper(replace(icd9cm_prefix, '.', ''))
        FROM {_csv("core_condition_icd9.csv")}"""
    )
    valid = []
    for version, name in (("10", "icd10cm_codes.csv.gz"), ("9", "icd9cm_codes.csv.gz")):
        path = str(data_path(name)).replace("'", "''")
        valid.append(
            f"""SELECT DISTINCT '{version}' AS icd_version, left(code, n) AS code
            FROM read_csv('{path}', header = true, all_varchar = true) c,
                 range(3, length(c.code) + 1) r(n)"""
        )
    con.execute("CREATE OR REPLACE TABLE ref_icd_valid AS " + " UNION ALL ".join(valid))
    con.execute(
        f"""CREATE OR REPLACE TABLE ref_cms_parameters AS
        SELECT CAST(contract_year AS INTEGER) AS contract_year,
               CAST(core_diseases AS INTEGER) AS core_diseases,
               CAST(max_required_conditions AS INTEGER) AS max_required_conditions,
               CAST(max_required_drugs AS INTEGER) AS max_required_drugs,
               CAST(cost_threshold AS DECIMAL(12, 2)) AS cost_threshold,
               drug_scope_rule, confidence, source
        FROM {_csv("cms_mtm_parameters.csv")}"""
    )
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in REFERENCE_TABLES}


REFERENCE_TABLES = (
    "ref_drug",
    "ref_ndc",
    "ref_route",
    "ref_drug_condition_rule",
    "ref_drug_atc",
    "ref_drug_condition",
    "ref_condition_dx",
    "ref_icd_valid",
    "ref_cms_parameters",
)
