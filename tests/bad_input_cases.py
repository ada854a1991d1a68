"""The bad-input corpus of the reliability suite: each kind of broken delivery and its exact outcome.

A case builds an extract folder and says what must happen: ``Stop`` (the run stops with a message naming
the file and the problem, nothing published changes) or ``Rows`` (the exact reject rows, and how many rows
reach staging).  tests/test_bad_input_corpus.py runs every case through ingest + staging, and through the
real `mtm run` command line (some by default, all with the ``long`` marker).
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.extract_builder import fill, medical, member, write_extract

NDC_REASON = "NDC is not 11 digits or a hyphenated 10-digit form (4-4-2, 5-3-2, 5-4-1)"
DATE_REASON = "unparseable date (expected YYYY-MM-DD)"
RX_HEADER = "claim_id,member_id,fill_date,ndc,days_supply,gross_drug_cost"
ELIG = [member("M1"), member("M2")]


@dataclass(frozen=True)
class Stop:
    file: str
    says: str


@dataclass(frozen=True)
class Rows:
    rejects: list[tuple] = field(default_factory=list)
    staged: dict[str, int] = field(default_factory=dict)
    warning: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], Path]
    expect: Stop | Rows
    settings: str = ""
    as_of: str = "2025-09-30"
    slow: bool = False


CASES: list[Case] = []


def case(expect, settings: str = "", as_of: str = "2025-09-30", slow: bool = False):
    def register(build):
        CASES.append(Case(build.__name__, build, expect, settings, as_of, slow))
        return build
    return register


def base(folder: Path, **tables) -> Path:
    tables.setdefault("eligibility", ELIG)
    tables.setdefault("pharmacy_claim", [fill("M1", "2025-09-01", claim_id="C1")])
    return write_extract(folder, **tables)


def rx_lines(folder: Path, *lines: str, header: str = RX_HEADER, name: str = "pharmacy_claim.csv",
             newline: str = "\n", eligibility: list[dict] = ELIG) -> Path:
    ex = base(folder, eligibility=eligibility)
    (ex / "pharmacy_claim.csv").unlink()
    (ex / name).write_text(newline.join([header, *lines]) + newline, newline="")
    return ex


def rx_rejects(*rows: tuple[int, str, str]) -> list[tuple]:
    return [("pharmacy_claim", "pharmacy_claim.csv", r, c, why) for r, c, why in rows]


def parquet(path: Path, columns: dict[str, list], types: dict[str, pa.DataType] | None = None) -> None:
    types = types or {}
    table = pa.table({k: pa.array(v, type=types.get(k)) for k, v in columns.items()})
    pq.write_table(table, path)


# -- file-level problems: the run stops, naming the file -------------------------------------------------

@case(Stop("pharmacy_claim.csv.gz", "truncated or corrupt gzip file"))
def truncated_gzip(folder):
    ex = base(folder, pharmacy_claim=[fill("M1", "2025-09-01", claim_id=f"C{i}") for i in range(3000)])
    data = gzip.compress((ex / "pharmacy_claim.csv").read_bytes())
    (ex / "pharmacy_claim.csv").unlink()
    (ex / "pharmacy_claim.csv.gz").write_bytes(data[: len(data) // 2])
    return ex


@case(Stop("pharmacy_claim.csv", "the header is one column separated by semicolons"))
def semicolon_delimiter(folder):
    return rx_lines(folder, "C1;M1;2025-09-01;00071015523;30;10", header=RX_HEADER.replace(",", ";"))


@case(Stop("pharmacy_claim.csv", "the header is one column separated by tabs"))
def tab_delimiter(folder):
    return rx_lines(folder, "C1\tM1\t2025-09-01\t00071015523\t30\t10", header=RX_HEADER.replace(",", "\t"))


@case(Stop("pharmacy_claim.csv", "line 3 (the header is line 1): a row has 3 fields but the header has 6"))
def ragged_row(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", "C2,M1,2025-09-01")


@case(Stop("pharmacy_claim.csv", "line 3 (the header is line 1): a row has more fields than the header's 6"))
def ten_thousand_column_row(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", ",".join(["x"] * 10_000))


@case(Rows(staged={"pharmacy_claim": 1}))
def ten_thousand_column_header(folder):
    """Extra columns are ignored, however many."""
    extra = [f"extra_{i}" for i in range(10_000)]
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10," + ",".join("x" * len(extra)),
                    header=RX_HEADER + "," + ",".join(extra))


@case(Stop("pharmacy_claim.csv", "line 3 (the header is line 1): the last line is longer than the 2 MB limit"))
def three_mb_line_without_newline(folder):
    ex = rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10")
    with (ex / "pharmacy_claim.csv").open("a") as fh:
        fh.write("C2,M1,2025-09-01,00071015523,30," + "9" * 3_000_000)  # no newline at the end
    return ex


@case(Stop("pharmacy_claim.csv", "line 3 (the header is line 1): the last line is longer than the 2 MB limit"),
      slow=True)
def fifty_mb_line_without_newline(folder):
    ex = rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10")
    with (ex / "pharmacy_claim.csv").open("a") as fh:
        fh.write("C2,M1,2025-09-01,00071015523,30,")
        for _ in range(50):
            fh.write("9" * 1_000_000)
    return ex


@case(Stop("pharmacy_claim.csv", "cannot be parsed (a line is longer than the 2 MB limit"))
def forty_mb_line_in_the_middle(folder):
    """DuckDB says only "The Parallel CSV Reader currently does not support a full read on this file"."""
    ex = rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10")
    with (ex / "pharmacy_claim.csv").open("a") as fh:
        fh.write("C2,M1,2025-09-01,00071015523,30," + "9" * 40_000_000 + "\nC3,M1,2025-09-01,00071015523,30,10\n")
    return ex


def rx_gz_ending_in(folder: Path, last: str, *lines: str) -> Path:
    """pharmacy_claim.csv.gz (a complete gzip) of the header, the lines, and a last line without a newline."""
    ex = rx_lines(folder, *lines)
    with (ex / "pharmacy_claim.csv").open("a") as fh:
        fh.write(last)
    (ex / "pharmacy_claim.csv.gz").write_bytes(gzip.compress((ex / "pharmacy_claim.csv").read_bytes(), 1))
    (ex / "pharmacy_claim.csv").unlink()
    return ex


@case(Stop("pharmacy_claim.csv.gz", "line 4 (the header is line 1): the last line is longer than the 2 MB limit"))
def forty_mb_last_line_in_gzip(folder):
    """Found by this suite: DuckDB dropped a final line of more than about 32 MB of a .csv.gz without an
    error (the row was lost); the gzip check pass now measures the last line."""
    return rx_gz_ending_in(folder, "C3,M1,2025-09-01,00071015523,30," + "9" * 40_000_000,
                           "C1,M1,2025-09-01,00071015523,30,10", "C2,M1,2025-09-01,00071015523,30,10")


@case(Stop("pharmacy_claim.csv.gz", "line 3 (the header is line 1): a quoted value is never closed"))
def unterminated_quote_on_the_last_line_in_gzip(folder):
    return rx_gz_ending_in(folder, 'C2,M1,2025-09-01,00071015523,30,"10', "C1,M1,2025-09-01,00071015523,30,10")


@case(Stop("pharmacy_claim.csv.gz", "line 3 (the header is line 1): a row has 3 fields but the header has 6"))
def last_row_cut_short_in_gzip(folder):
    """A file cut mid-row and then compressed whole (the gzip itself is complete)."""
    return rx_gz_ending_in(folder, "C2,M1,2025-09", "C1,M1,2025-09-01,00071015523,30,10")


@case(Stop("eligibility.csv", "text is not UTF-8 (re-export the file as UTF-8)"))
def latin1_bytes_in_names(folder):
    ex = base(folder, eligibility=[member("M1"), member("M2", last_name="MUNOZ")])
    raw = (ex / "eligibility.csv").read_bytes().replace(b"MUNOZ", "MUÑOZ".encode("latin-1"))
    (ex / "eligibility.csv").write_bytes(raw)
    return ex


@case(Stop("eligibility.csv", "file has a header but no data rows"))
def header_only_eligibility(folder):
    ex = base(folder)
    (ex / "eligibility.csv").write_text("member_id,contract_id,enrollment_start_date,birth_date\n")
    return ex


@case(Stop("medical_claim.csv.gz", "file is empty (no header row)"))
def zero_byte_gzip_optional_table(folder):
    ex = base(folder)
    (ex / "medical_claim.csv.gz").write_bytes(b"")
    return ex


@case(Stop("pharmacy_claim.parquet", "file has a header but no data rows"))
def zero_row_parquet_required_table(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv").unlink()
    parquet(ex / "pharmacy_claim.parquet", {c: [] for c in RX_HEADER.split(",")},
            {c: pa.string() for c in RX_HEADER.split(",")})
    return ex


@case(Stop("pharmacy_claim.parquet", "missing required column; column 'days_supply'"))
def parquet_missing_required_column(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv").unlink()
    parquet(ex / "pharmacy_claim.parquet", {"claim_id": ["C1"], "member_id": ["M1"], "fill_date": ["2025-09-01"],
                                            "ndc": ["00071015523"], "gross_drug_cost": [10.0]})
    return ex


@case(Stop("pharmacy_claim.csv.gz", "the same part of pharmacy_claim is delivered twice, also as "
                                    "pharmacy_claim.csv"))
def same_table_in_two_formats(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv.gz").write_bytes(gzip.compress((ex / "pharmacy_claim.csv").read_bytes()))
    return ex


@case(Stop("eligibility.csv", "required file missing from the extract"))
def misspelt_required_table(folder):
    ex = base(folder)
    (ex / "eligibility.csv").rename(ex / "eligibilty.csv")
    return ex


@case(Stop("pharmacy_claim_002.csv", "not a readable file (a folder, a dangling symlink or a symlink loop"))
def symlink_loop_in_the_extract(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv").rename(ex / "pharmacy_claim_001.csv")
    os.symlink("pharmacy_claim_002.csv", ex / "pharmacy_claim_002.csv")  # points at itself
    os.symlink(".", ex / "loop")  # a folder loop next to it is never followed
    return ex


@case(Stop("medical_claim.csv", "not a readable file"))
def dangling_symlink(folder):
    ex = base(folder)
    os.symlink("/nonexistent/medical_claim.csv", ex / "medical_claim.csv")
    return ex


@case(Stop("pharmacy_claim_002.csv", "not a readable file"))
def folder_named_like_a_table(folder):
    ex = base(folder)
    (ex / "pharmacy_claim_002.csv").mkdir()
    return ex


@case(Stop("pharmacy_claim.csv", "column 'ndc' appears more than once in the header"))
def repeated_column_in_header(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10,00071015523", header=RX_HEADER + ",ndc")


@case(Stop("pharmacy_claim.csv", "is gzip-compressed but not named .csv.gz"))
def gzip_bytes_in_a_csv_name(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv").write_bytes(gzip.compress((ex / "pharmacy_claim.csv").read_bytes()))
    return ex


@case(Stop("pharmacy_claim.csv", "is a Parquet file but named as CSV"))
def parquet_bytes_in_a_csv_name(folder):
    ex = base(folder)
    buf = io.BytesIO()
    pq.write_table(pa.table({"claim_id": ["C1"]}), buf)
    (ex / "pharmacy_claim.csv").write_bytes(buf.getvalue())
    return ex


@case(Stop("pharmacy_claim.csv", "inconsistent line endings or quoting (CRLF and LF mixed, or a stray quote)"))
def mixed_line_endings(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10\r", "C2,M1,2025-09-01,00071015523,30,10")


@case(Stop("settings.toml", "unknown key [criteria] min_core_condition (did you mean min_core_conditions?)"),
      settings="[criteria]\nmin_core_condition = 2\n")
def settings_key_typo(folder):
    return base(folder)


@case(Stop("settings.toml", "unknown settings section [critera] (did you mean [criteria]?)"),
      settings="[critera]\nmin_core_conditions = 2\n")
def settings_section_typo(folder):
    return base(folder)


@case(Stop("extract.toml", "as_of_date is not readable"), as_of="")
def malformed_extract_toml(folder):
    ex = base(folder)
    (ex / "extract.toml").write_text("as_of_date = 2025-13-45\n")
    return ex


# -- bad rows: exact reject rows --------------------------------------------------------------------------

@case(Rows(staged={"pharmacy_claim": 1}))
def utf8_bom(folder):
    ex = rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10")
    (ex / "pharmacy_claim.csv").write_bytes(b"\xef\xbb\xbf" + (ex / "pharmacy_claim.csv").read_bytes())
    return ex


@case(Rows(rejects=rx_rejects((2, "ndc", NDC_REASON)), staged={"pharmacy_claim": 1}))
def crlf_line_endings(folder):
    """The last column keeps no carriage return: row 1 parses, row 2's bad NDC is reported as row 2."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", "C2,M1,2025-09-01,BAD,30,10", newline="\r\n")


@case(Rows(rejects=rx_rejects((3, "days_supply", "days_supply outside 1..365")), staged={"pharmacy_claim": 2}))
def quoted_newline_in_a_value(folder):
    """Row numbers count records, not lines: the bad row after a two-line value is data row 3."""
    return rx_lines(folder, 'C1,M1,2025-09-01,00071015523,30,10,"ATORVASTATIN\n20 MG"',
                    "C2,M1,2025-09-01,00071015523,30,10,X", "C3,M1,2025-09-01,00071015523,0,10,X",
                    header=RX_HEADER + ",drug_name")


@case(Rows(rejects=rx_rejects(*((r, "fill_date", DATE_REASON) for r in (2, 3, 4, 5, 6))),
           staged={"pharmacy_claim": 1}))
def mixed_date_formats(folder):
    return rx_lines(folder, *(f"C{i},M1,{d},00071015523,30,10" for i, d in enumerate(
        ["2025-09-01", "09/01/2025", "20250901", "2025-9-1", "01-Sep-2025", "45901"])))


@case(Rows(rejects=rx_rejects((1, "ndc", NDC_REASON), (2, "ndc", NDC_REASON)), staged={"pharmacy_claim": 1}))
def ndc_in_scientific_notation(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,7.1015523E+10,30,10", "C2,M1,2025-09-01,7.10155E+10,30,10",
                    "C3,M1,2025-09-01,00071015523,30,10")


@case(Rows(rejects=rx_rejects((1, "ndc", NDC_REASON), (2, "ndc", NDC_REASON)), staged={"pharmacy_claim": 1}))
def ndc_leading_zeros_lost(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,71015523,30,10", "C2,M1,2025-09-01,6001954,30,10",
                    "C3,M1,2025-09-01,0071-0155-23,30,10")


@case(Rows(rejects=rx_rejects((1, "member_id", "member unknown to eligibility")), staged={"pharmacy_claim": 1}))
def member_id_leading_zeros_lost(folder):
    return rx_lines(folder, "C1,123,2025-09-01,00071015523,30,10", "C2,00123,2025-09-01,00071015523,30,10",
                    eligibility=[member("00123"), member("M1")])


@case(Rows(rejects=rx_rejects((2, "member_id", "missing required value")), staged={"pharmacy_claim": 1}))
def null_member_id_in_claims(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", "C2,,2025-09-01,00071015523,30,10")


@case(Rows(rejects=[("eligibility", "eligibility.csv", 2, "member_id", "missing required value")],
           staged={"eligibility": 1}))
def null_member_id_in_eligibility(folder):
    return base(folder, eligibility=[member("M1"), member(None)])


@case(Rows(staged={"pharmacy_claim": 1}))
def conflicting_versions_of_one_claim(folder):
    """Same claim_id, same processed_at, other cost and member: the last row wins (row order breaks ties)."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10,2025-09-02 08:00:00",
                    "C1,M2,2025-09-01,00071015523,30,99,2025-09-02 08:00:00",
                    header=RX_HEADER + ",processed_at")


@case(Rows(staged={"pharmacy_claim": 3}))
def fill_dates_in_the_future(folder):
    """Fills after the as-of date are valid rows (staged, not rejected) and not counted until D reaches them."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", "C2,M1,2030-01-01,00071015523,30,10",
                    "C3,M1,9999-12-31,00071015523,30,10")


@case(Rows(staged={"pharmacy_claim": 1, "medical_claim": 0, "dmp_arb": 0}))
def header_only_and_zero_row_optional_tables(folder):
    ex = base(folder)
    (ex / "medical_claim.csv.gz").write_bytes(gzip.compress(b"claim_id,member_id,claim_type,claim_start_date,"
                                                            b"diagnosis_code_1\n"))
    parquet(ex / "dmp_arb.parquet", {"member_id": [], "arb_start_date": []},
            {"member_id": pa.string(), "arb_start_date": pa.date32()})
    return ex


@case(Rows(rejects=[("pharmacy_claim", "pharmacy_claim.parquet", r, c, why) for r, c, why in (
    (2, "fill_date", DATE_REASON), (4, "days_supply", "not a whole number"), (5, "ndc", NDC_REASON))],
           staged={"pharmacy_claim": 2}))
def parquet_with_wrong_types(folder):
    """fill_date as an integer 20250901, days_supply as a float (30.0 is whole, 30.5 is not), NDC as an integer
    (its zeros lost), cost as text: each value is judged as text, row by row."""
    ex = base(folder)
    (ex / "pharmacy_claim.csv").unlink()
    parquet(ex / "pharmacy_claim.parquet", {
        "claim_id": ["C1", "C2", "C3", "C4", "C5"], "member_id": ["M1"] * 5,
        "fill_date": ["2025-09-01", "20250901", "2025-09-01", "2025-09-01", "2025-09-01"],
        "ndc": ["00071015523", "00071015523", "00071015523", "00071015523", "71015523"],
        "days_supply": [30.0, 30.0, 90.0, 30.5, 30.0], "gross_drug_cost": ["10.00", "1", "2", "3", "4"],
    })
    return ex


@case(Rows(staged={"pharmacy_claim": 1},
           warning="pharmacy_claim_002.csv is byte-identical to pharmacy_claim_001.csv: a part delivered twice?"))
def same_part_delivered_twice_under_two_names(folder):
    ex = base(folder)
    (ex / "pharmacy_claim.csv").rename(ex / "pharmacy_claim_001.csv")
    (ex / "pharmacy_claim_002.csv").write_bytes((ex / "pharmacy_claim_001.csv").read_bytes())
    return ex


@case(Rows(rejects=[("eligibility", "eligibility.csv", 2, "enrollment_end_date",
                     "enrollment_end_date before enrollment_start_date")], staged={"eligibility": 1}))
def eligibility_span_ending_before_it_starts(folder):
    return base(folder, eligibility=[member("M1"), member("M2", enrollment_start_date="2025-06-01",
                                                         enrollment_end_date="2025-05-31")])


@case(Rows(staged={"pharmacy_claim": 1}))
def member_id_with_surrounding_spaces(folder):
    return rx_lines(folder, "C1,  M1 ,2025-09-01,00071015523,30,10")


@case(Rows(staged={"pharmacy_claim": 1}))
def header_in_other_case_with_spaces(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10",
                    header=" Claim_ID ,MEMBER_ID,Fill_Date,NDC,Days_Supply, gross_drug_cost")


@case(Rows(staged={"pharmacy_claim": 1}))
def trailing_comma_on_every_line(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10,", header=RX_HEADER + ",")


@case(Rows(rejects=rx_rejects((1, "ndc", NDC_REASON)), staged={"pharmacy_claim": 1}))
def ten_kilobyte_values(folder):
    """A huge value is kept whole in staging; a rejected one is quoted to 60 characters only."""
    return rx_lines(folder, f"C1,M1,2025-09-01,{'9' * 10_000},30,10", f"{'C' * 10_000},M1,2025-09-01,00071015523,30,10")


@case(Rows(rejects=rx_rejects((1, "days_supply", "not a whole number"), (2, "gross_drug_cost", "not a number"),
                              (3, "days_supply", "days_supply outside 1..365")),
           staged={"pharmacy_claim": 2}))
def numbers_as_people_type_them(folder):
    """Full-width digits and currency signs are rejected; scientific notation of an amount is a number."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,３０,10", "C2,M1,2025-09-01,00071015523,30,$12.50",
                    "C3,M1,2025-09-01,00071015523,-30,10", "C4,M1,2025-09-01,00071015523,30,1.2E+02",
                    'C5,M1,2025-09-01,00071015523,"30","10"')


@case(Rows(rejects=rx_rejects((1, "processed_at", "unparseable timestamp")), staged={"pharmacy_claim": 1}))
def unparseable_processed_at(folder):
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10,yesterday",
                    "C2,M1,2025-09-01,00071015523,30,10,2025-09-02T08:00:00", header=RX_HEADER + ",processed_at")


@case(Rows(staged={"pharmacy_claim": 1}))
def claim_status_in_capitals_and_orphan_reversal(folder):
    """PAID/Reversed are read case-blind; a reversal of a claim never seen paid removes nothing and is no error;
    a reversal processed before the paid version loses to it."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10,PAID,2025-09-02",
                    "C1,M1,2025-09-01,00071015523,30,10,Reversed,2025-09-01",
                    "C9,M1,2025-09-01,00071015523,30,10,REVERSED,2025-09-02",
                    header=RX_HEADER + ",claim_status,processed_at")


@case(Rows(rejects=rx_rejects((2, "claim_id", "missing required value"), (2, "days_supply", "not a whole number"),
                              (2, "fill_date", DATE_REASON), (2, "gross_drug_cost", "not a number"),
                              (2, "member_id", "member unknown to eligibility"), (2, "ndc", NDC_REASON)),
           staged={"pharmacy_claim": 2}))
def two_files_concatenated_with_their_headers(folder):
    """The second header is a data row with every value wrong; it is rejected, the rows around it are kept."""
    return rx_lines(folder, "C1,M1,2025-09-01,00071015523,30,10", RX_HEADER.replace("claim_id", ""),
                    "C2,M1,2025-09-01,00071015523,30,10")


@case(Rows(rejects=[("eligibility", "eligibility.csv", 2, "sex", "unknown sex (expected one of: m, f, u)"),
                    ("eligibility", "eligibility.csv", 3, "hospice", "not a boolean (expected true or false)")],
           staged={"eligibility": 1}))
def unknown_codes_in_eligibility(folder):
    return base(folder, eligibility=[member("M1"), member("M2", sex="X"), member("M3", hospice="maybe")])


@case(Rows(rejects=[("medical_claim", "medical_claim.csv", 1, "icd_version",
                     "unknown icd_version (expected one of: 9, 10)"),
                    ("medical_claim", "medical_claim.csv", 3, "diagnosis_code_1",
                     "diagnosis code not in the ICD-10-CM code set (dropped from the claim)")],
           staged={"medical_claim": 2}))
def diagnosis_code_problems(folder):
    """icd_version 11 rejects the claim; lower case with a dot is valid; an ICD-9 code on an ICD-10 claim is
    dropped from it (the claim's other codes count)."""
    return base(folder, medical_claim=[medical("M1", "outpatient", "2025-05-01", "I10", icd_version="11"),
                                       medical("M1", "outpatient", "2025-05-01", "e11.9"),
                                       medical("M1", "outpatient", "2025-05-01", "250.00", "I10")])


@case(Rows(rejects=[("dmp_arb", "dmp_arb.csv", 1, "arb_end_date", "arb_end_date before arb_start_date"),
                    ("member_status", "member_status.csv", 1, "status",
                     "unknown status (expected one of: hospice, ltc_resident, esrd, lis)"),
                    ("mtm_event", "mtm_event.csv", 1, "event_type",
                     "unknown event_type (expected one of: cmr_offered, cmr_completed, cmr_declined, tmr_completed, "
                     "summary_sent, dtp_recommendation, dtp_resolved, opted_out, outreach_attempt, "
                     "safe_disposal_info, prescriber_response)")],
           staged={"dmp_arb": 0, "member_status": 0, "mtm_event": 0}))
def bad_rows_in_optional_tables(folder):
    return base(folder,
                dmp_arb=[{"member_id": "M1", "arb_start_date": "2025-06-01", "arb_end_date": "2025-01-01"}],
                member_status=[{"member_id": "M1", "status": "dialysis", "status_start_date": "2025-01-01"}],
                mtm_event=[{"member_id": "M1", "event_date": "2025-05-01", "event_type": "cmr_done"}])


@case(Rows(staged={"eligibility": 2, "pharmacy_claim": 1}), as_of="2022-06-30")
def as_of_before_all_data(folder):
    """Nobody is enrolled yet: staging keeps every row, the run publishes an empty universe (see the run test)."""
    return base(folder)

