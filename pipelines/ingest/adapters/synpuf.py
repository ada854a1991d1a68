"""CMS DE-SynPUF (Medicare Claims Synthetic Public Use Files) -> the canonical raw tables.

Files (CMS names, one or more samples N in the folder, ``.csv`` or ``.csv.gz``):

* ``DE1_0_{2008,2009,2010}_Beneficiary_Summary_File_Sample_N.csv`` -> eligibility (+ known members)
* ``DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_N.csv``     -> pharmacy_claim
* ``DE1_0_2008_to_2010_Inpatient_Claims_Sample_N.csv``             -> medical_claim ('inpatient')
* ``DE1_0_2008_to_2010_Outpatient_Claims_Sample_N.csv``            -> medical_claim ('outpatient')
* ``DE1_0_2008_to_2010_Carrier_Claims_Sample_N{A,B}.csv``          -> medical_claim ('professional')
  (or the unsplit ``..._Carrier_Claims_Sample_N.csv``)

A sample needs what the as-of date D needs (issue 26 item 18): the beneficiary files of D's year and the
year before (within 2008-2010) and the PDE file; a missing one, or a missing column of those, stops the
run naming it.  Beneficiary files of other years are read when present.  Medical claim files and claim
diagnosis positions (``ICD9_DGNS_CD_n``) that are absent are treated as absent, with a warning in the run
manifest that says what was not evaluated (conditions rest on the files there are).  The mapping
rules (input-contract.md, "Members, spans and claims: precise readings") are written next to the SQL
that applies them and in docs/source_adapters.md.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

from pipelines.engine.db import one_row, scalar
from pipelines.ingest.readers import IngestReport, sql_str
from pipelines.reference.files import data_path
from pipelines.run_state.errors import InputFileError

from . import _source_files as shared  # the loading both adapters share

LAYOUT = "CMS DE-SynPUF"
YEARS = (2008, 2009, 2010)
ABSENT_TABLES = ("mtm_event", "dmp_arb", "member_status")

BENE_COLUMNS = ("DESYNPUF_ID", "BENE_BIRTH_DT", "BENE_DEATH_DT", "BENE_SEX_IDENT_CD", "BENE_ESRD_IND",
                "PLAN_CVRG_MOS_NUM")
PDE_COLUMNS = ("DESYNPUF_ID", "PDE_ID", "SRVC_DT", "PROD_SRVC_ID", "QTY_DSPNSD_NUM", "DAYS_SUPLY_NUM",
               "PTNT_PAY_AMT", "TOT_RX_CST_AMT")
#: claim file kind -> (claim_type, number of claim-level ICD9_DGNS_CD_n positions in the CMS layout)
CLAIM_KINDS = {
    "Inpatient_Claims": ("inpatient", 10),
    "Outpatient_Claims": ("outpatient", 10),
    "Carrier_Claims": ("professional", 8),
}
CLAIM_HEADER = ("DESYNPUF_ID", "CLM_ID", "CLM_FROM_DT", "CLM_THRU_DT")

_BENE_RE = re.compile(r"^DE1_0_(\d{4})_Beneficiary_Summary_File_Sample_(\d+)\.csv(\.gz)?$", re.IGNORECASE)
_CLAIM_RE = re.compile(
    r"^DE1_0_2008_to_2010_(Prescription_Drug_Events|Inpatient_Claims|Outpatient_Claims|Carrier_Claims)"
    r"_Sample_(\d+)([AB]?)\.csv(\.gz)?$",  # a carrier file split (A, B) or whole
    re.IGNORECASE,
)


def expected_files(sample: str) -> dict[str, str]:
    """Every file one DE-SynPUF sample of the public release consists of: key -> CMS file name."""
    files = {f"bene_{y}": f"DE1_0_{y}_Beneficiary_Summary_File_Sample_{sample}.csv" for y in YEARS}
    files["pde"] = f"DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_{sample}.csv"
    files["Inpatient_Claims"] = f"DE1_0_2008_to_2010_Inpatient_Claims_Sample_{sample}.csv"
    files["Outpatient_Claims"] = f"DE1_0_2008_to_2010_Outpatient_Claims_Sample_{sample}.csv"
    for part in ("A", "B"):
        files[f"Carrier_Claims{part}"] = f"DE1_0_2008_to_2010_Carrier_Claims_Sample_{sample}{part}.csv"
    return files


def needed_years(as_of: dt.date | None) -> tuple[int, ...]:
    """The beneficiary years an as-of date needs: its own year and the one before (the look-back), within
    the release's years; an as-of date after 2010 needs 2010, before 2008 needs 2008; unknown: all."""
    if as_of is None:
        return YEARS
    years = tuple(y for y in YEARS if as_of.year - 1 <= y <= as_of.year)
    return years or ((YEARS[-1],) if as_of.year > YEARS[-1] else (YEARS[0],))


def required_files(sample: str, as_of: dt.date | None) -> dict[str, str]:
    """The files a run at ``as_of`` cannot do without: the needed beneficiary years and the PDE file."""
    files = expected_files(sample)
    return {**{f"bene_{y}": files[f"bene_{y}"] for y in needed_years(as_of)}, "pde": files["pde"]}


def find_files(extract_dirs: list[Path], as_of: dt.date | None = None) -> dict[str, dict[str, Path]]:
    """sample -> key -> path, for every DE-SynPUF file in the folders; checks each sample has the files the
    as-of date needs (``required_files``)."""
    samples: dict[str, dict[str, Path]] = {}
    for directory in extract_dirs:
        directory = Path(directory)
        if not directory.is_dir():
            raise InputFileError(str(directory), "extract folder not found")
        for path in sorted(directory.iterdir()):
            if not path.is_file():
                continue
            if m := _BENE_RE.match(path.name):
                year, sample = int(m.group(1)), m.group(2)
                if year not in YEARS:
                    raise InputFileError(path.name, f"unexpected Beneficiary Summary year {year}",
                                         expected=f"one of {', '.join(map(str, YEARS))}")
                samples.setdefault(sample, {})[f"bene_{year}"] = path
            elif m := _CLAIM_RE.match(path.name):
                kind, sample, part = m.group(1), m.group(2), m.group(3).upper()
                key = "pde" if kind.lower().startswith("prescription") else _kind_key(kind) + part
                samples.setdefault(sample, {})[key] = path
    where = ", ".join(str(d) for d in extract_dirs)
    if not samples:
        raise InputFileError(
            expected_files("N")["bene_2008"], f"no DE-SynPUF files found in {where}",
            expected="the CMS DE-SynPUF file names (unzipped .csv or .csv.gz), e.g. "
                     + ", ".join(expected_files("1").values()),
        )
    for sample, found in sorted(samples.items()):
        required = required_files(sample, as_of)
        for key, name in required.items():
            if key not in found:
                needed = f"as of {as_of}" if as_of else "a run"
                raise InputFileError(name, f"required DE-SynPUF file missing from the extract ({where})",
                                     expected=f"for {needed}, sample {sample} needs " + ", ".join(required.values()))
        if "Carrier_Claims" in found and ({"Carrier_ClaimsA", "Carrier_ClaimsB"} & set(found)):
            raise InputFileError(found["Carrier_Claims"].name,
                                 "the carrier claims are there both whole and split into A/B: they would count twice",
                                 expected="either the unsplit carrier file or its A and B parts")
    return samples


def claim_files(sample: str, found: dict[str, Path]) -> tuple[list[str], list[str]]:
    """The medical claim files of a sample to read (keys, in order), and a warning per absent one."""
    keys, notes = [], []
    files = expected_files(sample)
    carrier = ["Carrier_Claims"] if "Carrier_Claims" in found else ["Carrier_ClaimsA", "Carrier_ClaimsB"]
    for key in ("Inpatient_Claims", "Outpatient_Claims", *carrier):
        if key in found:
            keys.append(key)
            continue
        claim_type = CLAIM_KINDS[_base_kind(key)][0]
        notes.append(f"DE-SynPUF sample {sample}: {files.get(key, key)} is not in the extract: its "
                     f"{claim_type} claims' diagnoses were NOT evaluated (chronic conditions rest on the other "
                     "files and on drugs)")
    return keys, notes


def _base_kind(key: str) -> str:
    return "Carrier_Claims" if key.startswith("Carrier_Claims") else key


def _kind_key(kind: str) -> str:
    return next(k for k in CLAIM_KINDS if k.lower() == kind.lower())


def read_extract(ctx, con: duckdb.DuckDBPyConnection) -> IngestReport:
    as_of = getattr(ctx, "as_of", None)
    samples = find_files(ctx.extract_dirs, as_of)
    contract_id = str(ctx.settings["sources"]["synpuf_contract_id"])
    report = IngestReport()
    shared.create_all_raw_tables(con)
    shared.install_macros(con)
    ordinal = 0
    loaded: list[shared.LoadedFile] = []
    try:
        # 1. beneficiaries, all years present of all samples, then the spans
        benes: list[tuple[int, shared.LoadedFile]] = []
        for sample in sorted(samples):
            for year in YEARS:
                if f"bene_{year}" not in samples[sample]:
                    continue  # not needed at this as-of date (find_files checked the needed ones)
                ordinal += 1
                f = shared.load_source_csv(con, samples[sample][f"bene_{year}"], ordinal, BENE_COLUMNS, LAYOUT)
                loaded.append(f)
                benes.append((year, f))
        _load_eligibility(con, benes, contract_id)
        for _, f in benes:
            shared.record_file(report, "eligibility", f, shared.count_rows(con, "eligibility", f.name))
        # 2. prescription drug events
        for sample in sorted(samples):
            ordinal += 1
            f = shared.load_source_csv(con, samples[sample]["pde"], ordinal, PDE_COLUMNS, LAYOUT)
            loaded.append(f)
            _load_pde(con, f)
            shared.record_file(report, "pharmacy_claim", f, shared.count_rows(con, "pharmacy_claim", f.name))
        # 3. medical claims, claim-level diagnosis positions only; absent files and positions are warned about
        for sample in sorted(samples):
            keys, notes = claim_files(sample, samples[sample])
            report.notes.extend(notes)
            for key in keys:
                claim_type, positions = CLAIM_KINDS[_base_kind(key)]
                ordinal += 1
                f = shared.load_source_csv(con, samples[sample][key], ordinal, CLAIM_HEADER, LAYOUT)
                loaded.append(f)
                layout = [f"ICD9_DGNS_CD_{i}" for i in range(1, positions + 1)]
                dx_cols = [c for c in layout if f.has(c)]
                if len(dx_cols) < len(layout):
                    missing = [c for c in layout if c not in dx_cols]
                    report.notes.append(
                        f"{f.name}: diagnosis position(s) {', '.join(missing)} are not in the file: "
                        f"those positions were NOT evaluated ({len(dx_cols)} of {len(layout)} read)")
                skipped = _load_claims(con, f, claim_type, dx_cols) if dx_cols else f.rows
                shared.record_file(report, "medical_claim", f, shared.count_rows(con, "medical_claim", f.name))
                if skipped:
                    report.notes.append(
                        f"{f.name}: {skipped} of {f.rows} claims carry no claim-level diagnosis code "
                        "(ICD9_DGNS_CD_n all empty) and were not loaded: they are evidence of nothing")
        report.notes.append(_ndc_note(con))
    finally:
        shared.drop_sources(con, loaded)
    return shared.finish_report(con, report, ABSENT_TABLES)


def _load_eligibility(con: duckdb.DuckDBPyConnection, benes: list[tuple[int, shared.LoadedFile]],
                      contract_id: str) -> None:
    """One span per beneficiary-year with PLAN_CVRG_MOS_NUM m > 0: Jan 1 .. last day of month m, ended
    early by the death date; not merged across years (see docs/source_adapters.md)."""
    parts = []
    for year, f in benes:
        parts.append(
            f"SELECT {sql_str(f.name)} AS _file, _row, {f.seq()} AS _seq, {year} AS year, "
            f"src_text({f.col('DESYNPUF_ID')}) AS member_id, "
            f"src_text({f.col('PLAN_CVRG_MOS_NUM')}) AS months_text, "
            f"ymd_to_iso({f.col('BENE_BIRTH_DT')}) AS birth_date, "
            f"ymd_to_iso({f.col('BENE_DEATH_DT')}) AS death_date, "
            f"src_text({f.col('BENE_SEX_IDENT_CD')}) AS sex_code, "
            f"upper(src_text({f.col('BENE_ESRD_IND')})) AS esrd_ind "
            f"FROM {f.temp}"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE synpuf_bene AS " + " UNION ALL ".join(parts))
    con.execute("INSERT INTO raw_known_member SELECT _file, _row, _seq, member_id FROM synpuf_bene "
                "WHERE member_id IS NOT NULL")
    con.execute(f"""
        INSERT INTO raw_eligibility (_file, _row, _seq, member_id, contract_id, enrollment_start_date,
                                     enrollment_end_date, birth_date, sex, death_date, esrd)
        WITH latest AS (   -- birth and death dates come from the member's latest year file
            SELECT member_id, birth_date, death_date
            FROM synpuf_bene
            QUALIFY row_number() OVER (PARTITION BY member_id ORDER BY year DESC, _seq DESC) = 1
        ),
        years AS (
            SELECT b.*, l.birth_date AS latest_birth, l.death_date AS latest_death,
                   try_cast(b.months_text AS INTEGER) AS months,
                   make_date(b.year, 1, 1) AS year_start,
                   try_cast(l.death_date AS DATE) AS death
            FROM synpuf_bene AS b
            LEFT JOIN latest AS l USING (member_id)
        )
        SELECT
            _file, _row, _seq, member_id, {sql_str(contract_id)},
            strftime(year_start, '%Y-%m-%d'),
            CASE
                -- a month count outside 0..12 cannot be read as a span: staging rejects the row
                -- (column enrollment_end_date) and the reject shows the source value
                WHEN months IS NULL OR months NOT BETWEEN 1 AND 12
                    THEN 'PLAN_CVRG_MOS_NUM=' || coalesce(months_text, '')
                ELSE strftime(least(last_day(make_date(year, months, 1)), coalesce(death, DATE '9999-12-31')),
                              '%Y-%m-%d')
            END,
            latest_birth,
            CASE sex_code WHEN '1' THEN 'M' WHEN '2' THEN 'F' WHEN '0' THEN 'U' ELSE sex_code END,
            latest_death,
            CASE WHEN esrd_ind = 'Y' THEN 'true' ELSE 'false' END
        FROM years
        -- no Part D months that year: no span (the member is still known)
        WHERE NOT (months IS NOT NULL AND months = 0)
          -- died before the year began: no span that year
          AND (death IS NULL OR death >= year_start)
        ORDER BY _seq
    """)
    con.execute("DROP TABLE synpuf_bene")


def _load_pde(con: duckdb.DuckDBPyConnection, f: shared.LoadedFile) -> None:
    con.execute(f"""
        INSERT INTO raw_pharmacy_claim (_file, _row, _seq, claim_id, member_id, fill_date, ndc, days_supply,
                                        quantity, gross_drug_cost, patient_pay_amount)
        SELECT {sql_str(f.name)}, _row, {f.seq()},
               src_text({f.col('PDE_ID')}), src_text({f.col('DESYNPUF_ID')}), ymd_to_iso({f.col('SRVC_DT')}),
               src_text({f.col('PROD_SRVC_ID')}), src_text({f.col('DAYS_SUPLY_NUM')}),
               src_text({f.col('QTY_DSPNSD_NUM')}), src_text({f.col('TOT_RX_CST_AMT')}),
               src_text({f.col('PTNT_PAY_AMT')})
        FROM {f.temp}
        ORDER BY _row
    """)


def _load_claims(con: duckdb.DuckDBPyConnection, f: shared.LoadedFile, claim_type: str, dx_cols: list[str]) -> int:
    """Insert the file's claims; returns how many were skipped for carrying no diagnosis at all.

    Diagnoses: the claim-level ICD9_DGNS_CD_1..n in order, empty positions skipped (so the first
    code is always diagnosis_code_1).  A claim split into SEGMENTs keeps every segment, the later
    ones as claim_id ``CLM_ID-S<segment>`` (same CLM_ID would otherwise be read as a new version)."""
    dx_list = "list_filter([" + ", ".join(f"src_text({f.col(c)})" for c in dx_cols) + "], x -> x IS NOT NULL)"
    claim_id = f"src_text({f.col('CLM_ID')})"
    if f.has("SEGMENT"):
        seg = f"src_text({f.col('SEGMENT')})"
        claim_id = f"CASE WHEN coalesce({seg}, '1') = '1' THEN {claim_id} ELSE {claim_id} || '-S' || {seg} END"
    positions = ", ".join(f"dx[{i}]" for i in range(1, len(dx_cols) + 1))
    targets = ", ".join(f"diagnosis_code_{i}" for i in range(1, len(dx_cols) + 1))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE synpuf_claims AS
        SELECT _row, {f.seq()} AS _seq, {claim_id} AS claim_id, src_text({f.col('DESYNPUF_ID')}) AS member_id,
               ymd_to_iso({f.col('CLM_FROM_DT')}) AS start_date, ymd_to_iso({f.col('CLM_THRU_DT')}) AS end_date,
               {dx_list} AS dx
        FROM {f.temp}
    """)
    con.execute(f"""
        INSERT INTO raw_medical_claim (_file, _row, _seq, claim_id, member_id, claim_type, claim_start_date,
                                       claim_end_date, {targets}, icd_version)
        SELECT {sql_str(f.name)}, _row, _seq, claim_id, member_id, {sql_str(claim_type)}, start_date, end_date,
               {positions}, '9'
        FROM synpuf_claims
        WHERE len(dx) > 0
        ORDER BY _row
    """)
    skipped = scalar(con, "SELECT count(*) FROM synpuf_claims WHERE len(dx) = 0")
    con.execute("DROP TABLE synpuf_claims")
    return skipped


def _ndc_note(con: duckdb.DuckDBPyConnection) -> str:
    ndc_map = sql_str(str(data_path("ndc_map.csv")))
    fda_map = sql_str(str(data_path("fda_ndc_map.parquet")))
    total, mapped = one_row(con, f"""
        SELECT count(*), count(*) FILTER (WHERE ndc IN (
            SELECT ndc11 FROM read_csv({ndc_map}, header=true, all_varchar=true)
            UNION SELECT ndc11 FROM read_parquet({fda_map})))
        FROM raw_pharmacy_claim
    """)
    share = f"{mapped / total:.1%}" if total else "n/a"
    return (
        f"DE-SynPUF drug codes (PROD_SRVC_ID) are largely synthetic: only {mapped} of {total} drug events "
        f"({share}) carry an NDC found in the shipped NDC maps (curated and FDA NDC Directory 2019). The "
        "others fall back to a known product's ingredients or else to the nine-digit rule (labeler + "
        "product code): each such code counts as a drug of its own but is never evidence of a "
        "chronic condition; drug counts and drug-based conditions on DE-SynPUF are not clinically meaningful."
    )
