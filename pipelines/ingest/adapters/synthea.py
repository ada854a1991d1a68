"""Synthea CSV export -> the canonical raw tables.

Files read (Synthea 3.x CSV exporter names): ``patients.csv``, ``payers.csv``, ``payer_transitions.csv``
(eligibility), ``medications.csv`` (fills), ``encounters.csv`` (claim types), and ``claims.csv`` for the
diagnoses of medical claims -- or ``conditions.csv`` when an older export has no claims file.  Every
mapping choice is written next to the SQL that applies it and in docs/source_adapters.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.engine.db import one_row, scalar
from pipelines.ingest.readers import IngestReport, sql_str
from pipelines.run_state.errors import InputFileError

from . import _source_files as shared  # the loading both adapters share

LAYOUT = "Synthea CSV"
DATA_DIR = Path(__file__).resolve().parent / "data"
VALUE_SET = DATA_DIR / "snomed_core_condition.csv"
DEFAULT_CONTRACT_ID = "SYNTHEA"
ABSENT_TABLES = ("mtm_event", "dmp_arb", "member_status")

REQUIRED = {
    "patients.csv": ("Id", "BIRTHDATE", "DEATHDATE", "FIRST", "LAST", "GENDER", "ADDRESS", "CITY", "STATE", "ZIP"),
    "payers.csv": ("Id", "NAME"),
    "payer_transitions.csv": ("PATIENT", "START_DATE", "END_DATE", "PAYER"),
    "medications.csv": ("START", "STOP", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION", "DISPENSES", "TOTALCOST"),
    "encounters.csv": ("Id", "PATIENT", "ENCOUNTERCLASS"),
}
CLAIMS_COLUMNS = ("Id", "PATIENTID", "APPOINTMENTID", "SERVICEDATE", *(f"DIAGNOSIS{i}" for i in range(1, 9)))
CONDITIONS_COLUMNS = ("START", "PATIENT", "ENCOUNTER", "CODE")

#: Part D payers: Synthea has no Part D; Medicare (and the Medicare-Medicaid "Dual Eligible" payer)
#: pays its beneficiaries' prescriptions, so a payer whose name contains one of these counts.
PART_D_PAYER_NAME_PATTERN = r"(?i)medicare|dual eligible"

#: Synthea ENCOUNTERCLASS -> canonical claim_type
CLAIM_TYPE_BY_CLASS = {
    "inpatient": "inpatient",
    "snf": "snf",
    "home": "home_health",
    "hospice": "hospice",
    "emergency": "outpatient",
    "urgentcare": "outpatient",
    "outpatient": "outpatient",
    "ambulatory": "professional",
    "wellness": "professional",
    "virtual": "professional",
}
DEFAULT_CLAIM_TYPE = "professional"

#: a monthly dispense covers 30 days
DISPENSE_DAYS = 30

_BRAND = re.compile(r"\s*\[[^\]]*\]\s*$")
_LEADING_QUANTITY = re.compile(r"^(?:NDA\d+\s+|\d+(?:\.\d+)?\s+(?:HR|ML|ACTUAT|DAY|MG|UNT|MEQ|G)\b\s*)+", re.IGNORECASE)
_NUMBER = re.compile(r"^\d")
ROUTE_WORDS = (  # first match wins, searched in the dose form
    ("nasal", "nasal"), ("ophthalmic", "ophthalmic"), ("otic", "otic"), ("rectal", "rectal"),
    ("vaginal", "vaginal"), ("transdermal", "transdermal"), ("topical", "topical"), ("cream", "topical"),
    ("ointment", "topical"), ("inhal", "inhalation"), ("inject", "injection"), ("syringe", "injection"),
    ("sublingual", "sublingual"), ("oral", "oral"), ("tablet", "oral"), ("capsule", "oral"),
)


def rxnorm_ingredients(description: str | None) -> str | None:
    """Ingredient part of an RxNorm clinical-drug name: "24 HR Metformin hydrochloride 500 MG Extended
    Release Oral Tablet" -> "Metformin hydrochloride"; combinations joined with " / "
    ("efavirenz 600 MG / emtricitabine 200 MG / ... Oral Tablet" -> "efavirenz / emtricitabine / ...").
    A branded pack without ingredients ("Trinessa 28 Day Pack") gives its brand word."""
    if not description or not description.strip():
        return None
    text = _LEADING_QUANTITY.sub("", _BRAND.sub("", description.strip()))
    names = []
    for part in re.split(r"\s+/\s+", text):
        words = []
        for word in part.split():
            if _NUMBER.match(word):
                break
            words.append(word)
        if words:
            names.append(" ".join(words))
    return " / ".join(names) or None


def rxnorm_route(description: str | None) -> str | None:
    """Route from the dose form in the name (after the last strength); None when it says none."""
    if not description:
        return None
    text = _BRAND.sub("", description).lower()
    dose_form = re.split(r"\d[\d.]*\s+\S+", text)[-1]
    for word, route in ROUTE_WORDS:
        if word in dose_form:
            return route
    return None


def _find(extract_dirs: list[Path], name: str) -> Path | None:
    for directory in reversed([Path(d) for d in extract_dirs]):
        for candidate in (directory / name, directory / (name + ".gz")):
            if candidate.is_file():
                return candidate
    return None


def read_extract(ctx, con: duckdb.DuckDBPyConnection) -> IngestReport:
    paths = {}
    where = ", ".join(str(d) for d in ctx.extract_dirs)
    for name in REQUIRED:
        path = _find(ctx.extract_dirs, name)
        if path is None:
            raise InputFileError(name, f"required Synthea file missing from the extract ({where})",
                                 expected="the Synthea CSV export files " + ", ".join(REQUIRED)
                                          + " and claims.csv or conditions.csv")
        paths[name] = path
    claims_path = _find(ctx.extract_dirs, "claims.csv")
    conditions_path = None if claims_path else _find(ctx.extract_dirs, "conditions.csv")
    contract_id = str(ctx.settings.get("sources", {}).get("synthea_contract_id") or DEFAULT_CONTRACT_ID)

    report = IngestReport()
    shared.create_all_raw_tables(con)
    shared.install_macros(con)
    con.execute("CREATE OR REPLACE TEMP MACRO ts_date(x) AS nullif(left(trim(x), 10), '')")
    loaded: dict[str, shared.LoadedFile] = {}
    try:
        for ordinal, name in enumerate(REQUIRED, start=1):
            loaded[name] = shared.load_source_csv(con, paths[name], ordinal, REQUIRED[name], LAYOUT)
        if claims_path:
            loaded["claims.csv"] = shared.load_source_csv(con, claims_path, 10, CLAIMS_COLUMNS, LAYOUT)
        elif conditions_path:
            loaded["conditions.csv"] = shared.load_source_csv(con, conditions_path, 10, CONDITIONS_COLUMNS, LAYOUT)

        never_part_d = _load_eligibility(con, loaded, contract_id)
        shared.record_file(report, "eligibility", loaded["payer_transitions.csv"],
                           shared.count_rows(con, "eligibility"))
        for name in ("patients.csv", "payers.csv", "encounters.csv"):
            shared.record_file(report, "(lookup)", loaded[name], 0)
        if never_part_d:
            report.notes.append(
                f"Synthea: {never_part_d} patients never had a Medicare / Dual Eligible payer "
                "(payer_transitions.csv) and are outside the Part D population: their medications and "
                "claims were not loaded")

        fills, skipped_meds = _load_fills(con, loaded["medications.csv"])
        shared.record_file(report, "pharmacy_claim", loaded["medications.csv"], fills)
        report.notes.append(
            "Synthea medications carry RxNorm codes, not NDCs: each fill gets a stand-in NDC '9999' + the "
            "7-digit RxNorm code (a labeler range the FDA has not assigned), which is never found in the NDC "
            "map; drug identity therefore comes from the ingredient names in the RxNorm description "
            "(generic_name level of the drug identity report)")
        if skipped_meds:
            report.notes.append(f"Synthea: {skipped_meds} medications.csv rows belong to patients outside "
                                "the Part D population and were not loaded")

        absent = list(ABSENT_TABLES)
        source = loaded.get("claims.csv") or loaded.get("conditions.csv")
        if source is None:
            absent.append("medical_claim")
        else:
            kept, no_code, outside = _load_medical(con, source, loaded["encounters.csv"],
                                                   is_claims=source.name.startswith("claims"))
            shared.record_file(report, "medical_claim", source, kept)
            report.notes.append(
                f"Synthea {source.name}: {kept} of {source.rows} rows carry a SNOMED CT code of the shipped "
                f"core-condition value set and became medical claims (ICD-10-CM stand-in codes); {no_code} carry "
                f"none and {outside} belong to patients outside the Part D population (not loaded)")
    finally:
        shared.drop_sources(con, loaded.values())
        con.execute("DROP TABLE IF EXISTS synthea_part_d_patient")
    return shared.finish_report(con, report, absent)


def _load_eligibility(con: duckdb.DuckDBPyConnection, loaded: dict[str, shared.LoadedFile], contract_id: str) -> int:
    """One span per payer_transitions row whose payer is a Part D payer.  Synthea periods are half-open
    timestamps [START_DATE, END_DATE) -- the next period starts the instant the last one ends -- so the
    span is START date .. END date - 1 day (no overlap between consecutive years).  Returns the number
    of patients with no Part D span at all."""
    pt, pay, pat = loaded["payer_transitions.csv"], loaded["payers.csv"], loaded["patients.csv"]
    con.execute(f"""
        INSERT INTO raw_eligibility (_file, _row, _seq, member_id, contract_id, enrollment_start_date,
            enrollment_end_date, birth_date, sex, death_date, first_name, last_name, address_line, city,
            state, zip_code)
        SELECT {sql_str(pt.name)}, t._row, {pt.seq('t._row')},
               src_text(t.{pt.col('PATIENT')}), {sql_str(contract_id)},
               ts_date(t.{pt.col('START_DATE')}),
               CASE WHEN try_cast(ts_date(t.{pt.col('END_DATE')}) AS DATE) IS NOT NULL
                    THEN strftime(try_cast(ts_date(t.{pt.col('END_DATE')}) AS DATE) - 1, '%Y-%m-%d')
                    ELSE ts_date(t.{pt.col('END_DATE')}) END,
               ts_date(p.{pat.col('BIRTHDATE')}), upper(src_text(p.{pat.col('GENDER')})),
               ts_date(p.{pat.col('DEATHDATE')}),
               src_text(p.{pat.col('FIRST')}), src_text(p.{pat.col('LAST')}), src_text(p.{pat.col('ADDRESS')}),
               src_text(p.{pat.col('CITY')}), src_text(p.{pat.col('STATE')}), src_text(p.{pat.col('ZIP')})
        FROM {pt.temp} AS t
        JOIN {pay.temp} AS y ON y.{pay.col('Id')} = t.{pt.col('PAYER')}
        LEFT JOIN {pat.temp} AS p ON p.{pat.col('Id')} = t.{pt.col('PATIENT')}
        WHERE regexp_matches(y.{pay.col('NAME')}, {sql_str(PART_D_PAYER_NAME_PATTERN)})
          -- a period that starts and ends on the same day covers no whole day
          AND ts_date(t.{pt.col('START_DATE')}) IS DISTINCT FROM ts_date(t.{pt.col('END_DATE')})
        ORDER BY t._row
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE synthea_part_d_patient AS "
                "SELECT DISTINCT member_id FROM raw_eligibility WHERE member_id IS NOT NULL")
    return scalar(con, f"SELECT count(*) FROM {pat.temp} WHERE {pat.col('Id')} NOT IN "
                       "(SELECT member_id FROM synthea_part_d_patient)")


def _load_fills(con: duckdb.DuckDBPyConnection, f: shared.LoadedFile) -> tuple[int, int]:
    """One fill per dispense.  n = DISPENSES (at least 1); fill k (0..n-1) on START + k * step days with
    days_supply = step, where step = 30 -- unless STOP comes sooner than n * 30 days after START, then
    step = (STOP - START) // n (at least 1), so that all n dispenses fall before STOP.  Fills after the
    patient's death are dropped.  gross_drug_cost = TOTALCOST / n (rounded to cents).  ndc: '9999' +
    RxNorm code padded to 7 digits (never in the NDC map); generic_name: the RxNorm ingredients."""
    descriptions = [r[0] for r in con.execute(
        f"SELECT DISTINCT {f.col('DESCRIPTION')} FROM {f.temp} WHERE {f.col('DESCRIPTION')} IS NOT NULL").fetchall()]
    con.execute("CREATE OR REPLACE TEMP TABLE synthea_rx_name (description VARCHAR, generic_name VARCHAR, "
                "route VARCHAR)")
    if descriptions:
        con.executemany("INSERT INTO synthea_rx_name VALUES (?, ?, ?)",
                        [(d, rxnorm_ingredients(d), rxnorm_route(d)) for d in descriptions])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE synthea_med AS
        SELECT m._row,
               src_text(m.{f.col('PATIENT')}) AS patient,
               src_text(m.{f.col('ENCOUNTER')}) AS encounter,
               src_text(m.{f.col('CODE')}) AS code,
               m.{f.col('DESCRIPTION')} AS description,
               try_cast(ts_date(m.{f.col('START')}) AS DATE) AS start_date,
               try_cast(ts_date(m.{f.col('STOP')}) AS DATE) AS stop_date,
               greatest(coalesce(try_cast(m.{f.col('DISPENSES')} AS INTEGER), 1), 1) AS n,
               try_cast(m.{f.col('TOTALCOST')} AS DECIMAL(18, 4)) AS total_cost,
               m.{f.col('PATIENT')} IN (SELECT member_id FROM synthea_part_d_patient) AS in_part_d
        FROM {f.temp} AS m
    """)
    skipped = scalar(con, "SELECT count(*) FROM synthea_med WHERE NOT in_part_d")
    con.execute(f"""
        INSERT INTO raw_pharmacy_claim (_file, _row, _seq, claim_id, member_id, fill_date, ndc, days_supply,
                                        gross_drug_cost, generic_name, drug_name, route)
        WITH med AS (
            SELECT s.*,
                   CASE WHEN s.stop_date IS NOT NULL AND s.n > 1
                             AND date_diff('day', s.start_date, s.stop_date) < {DISPENSE_DAYS} * s.n
                        THEN greatest(date_diff('day', s.start_date, s.stop_date) // s.n, 1)
                        ELSE {DISPENSE_DAYS} END AS step,
                   try_cast(ts_date(p.death) AS DATE) AS death_date
            FROM synthea_med AS s
            LEFT JOIN (SELECT member_id, max(death_date) AS death FROM raw_eligibility GROUP BY ALL) AS p
                   ON p.member_id = s.patient
            WHERE s.in_part_d AND s.start_date IS NOT NULL
        ),
        fills AS (
            SELECT med.*, k, start_date + CAST(k * step AS INTEGER) AS fill_date
            FROM med, range(0, n) AS r(k)
        )
        SELECT {sql_str(f.name)}, _row, {f.seq('0')} + row_number() OVER (ORDER BY _row, k),
               coalesce(encounter, 'row' || _row) || '-' || coalesce(code, '') || '-' || lpad((k + 1)::VARCHAR, 3, '0'),
               patient,
               strftime(fill_date, '%Y-%m-%d'),
               CASE WHEN length(code) <= 7 THEN '9999' || lpad(code, 7, '0')
                    WHEN length(code) = 8 THEN '999' || code
                    ELSE code END,
               step::VARCHAR,
               round(total_cost / n, 2)::VARCHAR,
               x.generic_name,
               description,
               x.route
        FROM fills
        LEFT JOIN synthea_rx_name AS x USING (description)
        WHERE death_date IS NULL OR fill_date <= death_date
        ORDER BY _row, k
    """)
    con.execute("DROP TABLE synthea_med")
    con.execute("DROP TABLE synthea_rx_name")
    return shared.count_rows(con, "pharmacy_claim"), skipped


def _load_medical(
    con: duckdb.DuckDBPyConnection, src: shared.LoadedFile, enc: shared.LoadedFile, is_claims: bool
) -> tuple[int, int, int]:
    """claims.csv: one medical claim per Synthea claim, dated SERVICEDATE, claim_type from the class of
    its encounter (APPOINTMENTID), diagnoses DIAGNOSIS1..8 mapped SNOMED CT -> ICD-10-CM through the
    value set (codes outside it are not carried; a claim left with none is not loaded).
    conditions.csv (older exports): one claim per condition row, dated START, typed by its ENCOUNTER."""
    value_set = sql_str(str(VALUE_SET))
    if is_claims:
        dx = ", ".join(f"src_text(c.{src.col(f'DIAGNOSIS{i}')})" for i in range(1, 9))
        base = (f"SELECT c._row, src_text(c.{src.col('Id')}) AS claim_id, "
                f"src_text(c.{src.col('PATIENTID')}) AS patient, "
                f"ts_date(c.{src.col('SERVICEDATE')}) AS start_date, "
                f"src_text(c.{src.col('APPOINTMENTID')}) AS encounter, "
                f"[{dx}] AS codes FROM {src.temp} AS c")
    else:
        base = (f"SELECT c._row, 'condition-' || c._row AS claim_id, src_text(c.{src.col('PATIENT')}) AS patient, "
                f"ts_date(c.{src.col('START')}) AS start_date, src_text(c.{src.col('ENCOUNTER')}) AS encounter, "
                f"[src_text(c.{src.col('CODE')})] AS codes FROM {src.temp} AS c")
    classes = ", ".join(f"({sql_str(k)}, {sql_str(v)})" for k, v in CLAIM_TYPE_BY_CLASS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE synthea_dx AS
        WITH base AS ({base}),
        vs AS (SELECT snomed_code, icd10cm_code FROM read_csv({value_set}, header=true, all_varchar=true)),
        mapped AS (
            SELECT b._row,
                   list(DISTINCT v.icd10cm_code ORDER BY v.icd10cm_code)
                       FILTER (WHERE v.icd10cm_code IS NOT NULL) AS dx
            FROM base AS b
            LEFT JOIN (SELECT _row, unnest(codes) AS code FROM base) AS u USING (_row)
            LEFT JOIN vs AS v ON v.snomed_code = u.code
            GROUP BY b._row
        )
        SELECT b.*, coalesce(m.dx, []) AS dx,
               b.patient IN (SELECT member_id FROM synthea_part_d_patient) AS in_part_d,
               coalesce(t.claim_type, {sql_str(DEFAULT_CLAIM_TYPE)}) AS claim_type
        FROM base AS b
        JOIN mapped AS m USING (_row)
        LEFT JOIN {enc.temp} AS e ON e.{enc.col('Id')} = b.encounter
        LEFT JOIN (VALUES {classes}) AS t(encounter_class, claim_type)
               ON t.encounter_class = lower(e.{enc.col('ENCOUNTERCLASS')})
    """)
    targets = ", ".join(f"diagnosis_code_{i}" for i in range(1, 9))
    positions = ", ".join(f"dx[{i}]" for i in range(1, 9))
    con.execute(f"""
        INSERT INTO raw_medical_claim (_file, _row, _seq, claim_id, member_id, claim_type, claim_start_date,
                                       {targets}, icd_version)
        SELECT {sql_str(src.name)}, _row, {src.seq()}, claim_id, patient, claim_type, start_date, {positions}, '10'
        FROM synthea_dx
        WHERE in_part_d AND len(dx) > 0
        ORDER BY _row
    """)
    kept, no_code, outside = one_row(
        con,
        "SELECT count(*) FILTER (WHERE in_part_d AND len(dx) > 0), count(*) FILTER (WHERE len(dx) = 0), "
        "count(*) FILTER (WHERE NOT in_part_d AND len(dx) > 0) FROM synthea_dx")
    con.execute("DROP TABLE synthea_dx")
    return kept, no_code, outside
