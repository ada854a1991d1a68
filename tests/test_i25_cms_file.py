"""Issue 25 item 4: a submittable CMS beneficiary-level MTM file (outputs.md, "CMS beneficiary-level MTM
record"; targeting-rules.md section 6).

(a) the targeting reason and the date met the criteria come from the ledger, recorded at enrollment;
(b) enrollees without a valid MBI are listed in cms_mtm_problems, not written with blanks;
(c) "CMR received" needs the written summary; an offer is implied by a completion;
(d) provider type and recipient coded per the layout, each code with its source and confirmed flag;
(e) one file per contract in the layout's order, header and dates, and a validation of the CMS edits.

Rules on the model harness (one SQL model from given rows); the run-folder wiring on one whole run.
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest

from pipelines.publishing.exports.measures import (
    cms_fields,
    cms_validation,
    cms_validation_counts,
    contract_file_name,
    write_cms_submission,
)
from pipelines.publishing.ledger import ensure_ledger
from tests.extract_builder import fill, member
from tests.targeting_harness import run_extract, warehouse_rows

D = dt.date
VALID_MBI = "1EG4TE5MK73"
JULY_1 = D(2025, 7, 1)


def criteria(member_id: str, reason: str, contract: str = "H1234", meets: bool = True) -> dict:
    return {"member_id": member_id, "contract_id": contract, "meets_criteria": meets, "targeting_reason": reason}


def ledger_row(member_id: str, reason: str | None, source: str = "run", contract: str = "H1234",
               enrolled: dt.date = JULY_1, reason_source: str | None = None) -> dict:
    return {"member_id": member_id, "contract_id": contract, "contract_year": 2025, "mtm_enrollment_date": enrolled,
            "date_met_criteria": enrolled, "enrollment_source": source, "targeting_reason": reason,
            "targeting_reason_source": reason_source}


# -- (a) the targeting reason is recorded in the ledger at enrollment, never recomputed ------------------

def test_a_reason_recorded_at_enrollment_and_kept_when_todays_criteria_differ(model):
    rows = model(
        "tgt_ledger_next",
        mtm_enrollment_ledger=[
            ledger_row("KEPT", "01", reason_source="enrollment"),       # meets today for another reason
            ledger_row("NO_LONGER", "02", reason_source="enrollment"),  # no longer meets the criteria
            ledger_row("OLD_MEETS", None),                               # written before reasons were kept
            ledger_row("OLD_GONE", None),
            ledger_row("SEEDED", None, source="seed"),                   # the roster said nothing
        ],
        tgt_member_criteria=[criteria("NEW", "02"), criteria("KEPT", "03"), criteria("OLD_MEETS", "03"),
                             criteria("SEEDED", "01"), criteria("NO_LONGER", "04", meets=False),
                             criteria("OLD_GONE", "04", meets=False)],
    )
    got = {r["member_id"]: (r["targeting_reason"], r["targeting_reason_source"], r["date_met_criteria"])
           for r in rows}
    assert got == {
        "NEW": ("02", "enrollment", D(2025, 9, 30)),                 # enrolled by this run (as of 2025-09-30)
        "KEPT": ("01", "enrollment", D(2025, 7, 1)),                 # not today's 03
        "NO_LONGER": ("02", "enrollment", D(2025, 7, 1)),            # kept: the file has it at year end
        "OLD_MEETS": ("03", "filled_after_enrollment", D(2025, 7, 1)),
        "OLD_GONE": (None, None, D(2025, 7, 1)),                     # unknown: listed by the validation
        "SEEDED": (None, None, D(2025, 7, 1)),                       # seeded rows are never changed
    }


def test_a_a_ledger_without_the_new_columns_still_opens_and_keeps_its_rows():
    con = duckdb.connect()
    con.execute("CREATE TABLE mtm_enrollment_ledger (member_id VARCHAR NOT NULL, contract_id VARCHAR NOT NULL, "
                "contract_year INTEGER NOT NULL, mtm_enrollment_date DATE NOT NULL, date_met_criteria DATE)")
    con.execute("INSERT INTO mtm_enrollment_ledger VALUES ('M1', 'H1234', 2025, DATE '2025-03-01', DATE '2025-03-01')")
    ensure_ledger(con)
    assert con.execute("SELECT member_id, mtm_enrollment_date, targeting_reason, targeting_reason_source, "
                       "enrollment_source FROM mtm_enrollment_ledger").fetchall() == [
        ("M1", D(2025, 3, 1), None, None, None)]


def enrollment(member_id: str, reason: str | None = "01", contract: str = "H1234",
               enrolled: dt.date = JULY_1, **extra) -> dict:
    return {"member_id": member_id, "contract_id": contract, "contract_year": 2025, "mtm_enrollment_date": enrolled,
            "date_met_criteria": enrolled, "enrollment_source": "run", "targeting_reason": reason,
            "targeting_reason_source": "enrollment", "mtm_enrolled": True, "opt_out_date": None,
            "opt_out_reason": None, **extra}


def core(member_id: str, mbi: str | None = VALID_MBI, contract: str = "H1234") -> dict:
    return {"member_id": member_id, "mbi": mbi, "contract_id": contract, "birth_date": D(1950, 6, 15),
            "ltc_resident": False}


def ev(member_id: str, day: str, event_type: str, contract: str = "H1234", **extra) -> dict:
    """An attributed MTM event (every row has every key: the harness takes a table's columns from its rows)."""
    return {"member_id": member_id, "contract_id": contract, "event_date": D.fromisoformat(day),
            "event_type": event_type, "_seq": 1, "delivery_method": None, "provider_type": None, "recipient": None,
            "cognitively_impaired": None, **extra}


def cms(model, enrollments: list[dict], members: list[dict], events: list[dict] | None = None) -> dict[str, dict]:
    rows = model("cms_mtm_beneficiary_file", tgt_mtm_enrollment=enrollments, core_member=members,
                 tgt_mtm_event=events or [])
    return {r["member_id"]: r for r in rows}


def test_a_cms_file_takes_the_reason_from_the_ledger(model):
    rows = cms(model, [enrollment("M1", "02"), enrollment("M2", None)], [core("M1"), core("M2")])
    assert (rows["M1"]["targeting_reason"], rows["M1"]["date_met_criteria"]) == ("02", D(2025, 7, 1))
    assert rows["M2"]["targeting_reason"] is None  # not recomputed from today's criteria


# -- (b) enrollees without an MBI ------------------------------------------------------------------------

def test_b_members_without_a_valid_mbi_are_listed_and_left_out_of_the_file(model):
    enrollments = [enrollment("OK"), enrollment("DASHED"), enrollment("NONE"), enrollment("BAD")]
    members = [core("OK"), core("DASHED", "1eg4-te5-mk73"), core("NONE", None), core("BAD", "1SG4TE5MK73")]
    written = cms(model, enrollments, members)
    assert {m: r["mbi"] for m, r in written.items()} == {"OK": VALID_MBI, "DASHED": VALID_MBI}
    problems = model("cms_mtm_problems", tgt_mtm_enrollment=enrollments, core_member=members)
    assert {r["member_id"]: r["problem"] for r in problems} == {"NONE": "no_mbi", "BAD": "invalid_mbi"}
    assert all("left out of the CMS beneficiary-level file" in r["reason"] for r in problems)
    assert "mbi" not in problems[0]  # the problems file carries member ids only


# -- (c) CMR received needs the written summary; an offer is implied by a completion -----------------------

def test_c_cmr_received_needs_the_summary_and_a_completion_implies_the_offer(model):
    events = [
        ev("SUMMARY", "2025-08-01", "cmr_completed", delivery_method="telephone", provider_type="pharmacist",
           recipient="beneficiary"),
        ev("SUMMARY", "2025-08-06", "summary_sent"),
        ev("WAITING", "2025-08-01", "cmr_offered"),
        ev("WAITING", "2025-08-20", "cmr_completed", delivery_method="telephone"),
        ev("EARLY_SUMMARY", "2025-08-01", "summary_sent"),             # sent before the CMR: not its summary
        ev("EARLY_SUMMARY", "2025-08-10", "cmr_completed"),
    ]
    rows = cms(model, [enrollment(m) for m in ("SUMMARY", "WAITING", "EARLY_SUMMARY")],
               [core(m) for m in ("SUMMARY", "WAITING", "EARLY_SUMMARY")], events)
    got = {m: (r["cmr_offered"], r["cmr_offer_date"], r["cmr_received"], r["cmr_count"], r["written_summary_date"],
               r["cmr_delivery_method"]) for m, r in rows.items()}
    assert got == {
        "SUMMARY": (True, D(2025, 8, 1), True, 1, D(2025, 8, 6), "02"),  # no offer event: implied, dated the CMR
        "WAITING": (True, D(2025, 8, 1), False, 0, None, None),
        "EARLY_SUMMARY": (True, D(2025, 8, 10), False, 0, None, None),
    }


# -- (d) provider type and recipient, each code with its source and confirmed flag ------------------------

def test_d_provider_and_recipient_coded_per_layout_with_source_and_confirmation(model):
    codes = model("ref_cms_mtm_code")
    assert all(r["source"] and r["confirmed"] is not None for r in codes)
    confirmed = {r["field"] for r in codes if r["confirmed"]}
    assert confirmed == {"targeting_reason", "opt_out_reason_code", "cmr_delivery_method"}  # outputs.md
    assert {r["field"] for r in codes if not r["confirmed"]} == {"cmr_provider", "cmr_recipient"}
    events = []
    for m, provider, recipient in (("DOC", "physician", "caregiver"), ("NP", "nurse_practitioner", "prescriber"),
                                   ("RPH", "pharmacist", "beneficiary"), ("NONE", None, None)):
        events += [ev(m, "2025-08-01", "cmr_completed", provider_type=provider, recipient=recipient,
                      delivery_method="face_to_face"), ev(m, "2025-08-02", "summary_sent")]
    rows = cms(model, [enrollment(m) for m in ("DOC", "NP", "RPH", "NONE")],
               [core(m) for m in ("DOC", "NP", "RPH", "NONE")], events)
    assert {m: (r["cmr_provider"], r["cmr_recipient"]) for m, r in rows.items()} == {
        "DOC": ("01", "03"), "NP": ("04", "02"), "RPH": ("13", "01"), "NONE": (None, None)}


# -- (e) the validation of the CMS edits and one file per contract ---------------------------------------

def _connection_with(tables: dict[str, list[dict]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, rows in tables.items():
        frame = pa.Table.from_pylist(rows)  # noqa: F841 -- read by DuckDB below
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
    return con


def test_e_validation_reports_every_row_that_would_fail_a_cms_edit(model, tmp_path):
    enrollments = [
        enrollment("CLEAN"),
        enrollment("NO_REASON", None),
        enrollment("EARLY_CMR", enrolled=D(2025, 9, 1)),
        enrollment("OPTED_EARLY", enrolled=D(2025, 9, 1), opt_out_date=D(2025, 8, 15), opt_out_reason="requested"),
        enrollment("OTHER_CONTRACT", contract="S5678"),
    ]
    members = [core(m) for m in ("CLEAN", "NO_REASON", "EARLY_CMR", "OPTED_EARLY")] + [
        core("OTHER_CONTRACT", contract="S5678"), core("NO_MBI", None)]
    full = {"delivery_method": "telephone", "provider_type": "pharmacist", "recipient": "beneficiary",
            "cognitively_impaired": False}
    events = [ev("CLEAN", "2025-08-01", "cmr_offered", cognitively_impaired=False),
              ev("CLEAN", "2025-08-10", "cmr_completed", **full), ev("CLEAN", "2025-08-12", "summary_sent"),
              ev("EARLY_CMR", "2025-08-20", "cmr_completed", **full), ev("EARLY_CMR", "2025-09-02", "summary_sent"),
              ev("NO_REASON", "2025-09-01", "cmr_completed", **full)]  # waiting for its summary
    names = [{"member_id": m["member_id"], "contract_id": m["contract_id"], "pbp_id": "001", "first_name": "Ada",
              "last_name": "Test", "enrollment_start_date": D(2024, 1, 1), "_seq": 1} for m in members]
    file_rows = model("cms_mtm_beneficiary_file", tgt_mtm_enrollment=enrollments, core_member=members,
                      tgt_mtm_event=events, stg_eligibility=names)
    problems = model("cms_mtm_problems", tgt_mtm_enrollment=enrollments + [enrollment("NO_MBI")],
                     core_member=members)
    con = _connection_with({"cms_mtm_beneficiary_file": file_rows, "cms_mtm_problems": problems,
                            "tgt_mtm_event": events})
    found = {(f["member_id"], f["edit"], f["field"]) for f in cms_validation(con)}
    assert found == {
        ("NO_REASON", "missing_required_field", "targeting_reason"),
        ("NO_REASON", "cmr_awaiting_summary", "cmr_received"),
        ("EARLY_CMR", "date_before_enrollment", "cmr_offer_date"),       # implied by the CMR of 20 August
        ("EARLY_CMR", "date_before_enrollment", "cmr_dates"),
        ("OPTED_EARLY", "opt_out_before_enrollment", "opt_out_date"),
    }
    counts = cms_validation_counts(cms_validation(con))
    assert counts["error"] == {"missing_required_field": 1, "date_before_enrollment": 2, "cmr_without_offer": 0,
                               "opt_out_before_enrollment": 1}
    # a CMR received without any dated offer on or before it is the CMS edit "CMR without offer"
    con.execute("UPDATE cms_mtm_beneficiary_file SET cmr_offer_date = DATE '2025-08-11' WHERE member_id = 'CLEAN'")
    assert [(f["member_id"], f["edit"]) for f in cms_validation(con) if f["member_id"] == "CLEAN"] == [
        ("CLEAN", "cmr_without_offer")]

    summary = write_cms_submission(con, tmp_path)
    assert summary["rows_by_contract"] == {"H1234": 4, "S5678": 1}
    assert summary["members_left_out"] == {"no_mbi": 1}
    assert summary["validation_errors"]["cmr_without_offer"] == 1
    fields = cms_fields()
    with (tmp_path / contract_file_name("H1234")).open(newline="") as fh:
        h1234 = list(csv.reader(fh))
    assert h1234[0] == [f["cms_header"] for f in sorted(fields, key=lambda f: int(f["position"]))]
    by_name = [dict(zip(h1234[0], r, strict=True)) for r in h1234[1:]]
    assert {r["CONTRACT_NUMBER"] for r in by_name} == {"H1234"}
    early = next(r for r in by_name if r["MTM_ENROLLMENT_DATE"] == "20250901" and r["CMR_DATES"])
    assert (early["CMR_DATES"], early["RECEIVED_ANNUAL_CMR"], early["BENE_BIRTH_DATE"]) == (
        "20250820", "Y", "19500615")
    with (tmp_path / "cms_mtm_validation.csv").open(newline="") as fh:
        report = list(csv.DictReader(fh))
    assert {r["member_id"] for r in report} == {"NO_REASON", "EARLY_CMR", "OPTED_EARLY", "CLEAN"}
    assert all(VALID_MBI not in json.dumps(r) and "1950-06-15" not in json.dumps(r) for r in report)  # no PHI
    with (tmp_path / "cms_mtm_problems.csv").open(newline="") as fh:
        assert [r["member_id"] for r in csv.DictReader(fh)] == ["NO_MBI"]


# -- the run folder: files, counts in the manifest, exact and shareable pages ----------------------------

EIGHT = ["00071015523", "00093505601", "00378180101", "00093721056", "00172575460", "00591540501",
         "00781107501", "00093075601"]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One run as of 2025-09-30: two contracts; DMP at-risk members (reason 02) meet the criteria."""
    tmp = tmp_path_factory.mktemp("i25_run")
    ids = {"A1": ("H1234", VALID_MBI), "A2": ("H1234", "1EG4TE5MK74"), "B1": ("S5678", "1EG4TE5MK75"),
           "NOMBI": ("H1234", None)}
    eligibility = [member(m, contract_id=c, mbi=mbi) for m, (c, mbi) in ids.items()]
    events = [{"member_id": "A1", "event_date": "2025-09-30", "event_type": "cmr_completed",
               "delivery_method": "telephone", "provider_type": "pharmacist", "recipient": "beneficiary",
               "cognitively_impaired": "false"}]
    run_extract(tmp, as_of=D(2025, 9, 30), eligibility=eligibility,
                pharmacy_claim=[fill(m, "2025-09-01") for m in ids],
                dmp_arb=[{"member_id": m, "arb_start_date": "2025-01-01"} for m in ids], mtm_event=events)
    home = tmp / "home"
    return {"home": home, "folder": home / "runs" / "2025-09-30"}


def test_run_folder_has_one_cms_file_per_contract_the_problems_and_the_validation(published):
    folder = published["folder"]
    names = {p.name for p in folder.iterdir()}
    assert {"cms_mtm_beneficiary_file.csv", "cms_mtm_submission_H1234.csv", "cms_mtm_submission_S5678.csv",
            "cms_mtm_problems.csv", "cms_mtm_validation.csv", "dashboard.html", "dashboard_shareable.html"} <= names
    manifest = json.loads((folder / "run_manifest.json").read_text())
    counts = manifest["measures"]["cms_mtm"]
    assert counts["rows_by_contract"] == {"H1234": 2, "S5678": 1}
    assert counts["members_left_out"] == {"no_mbi": 1}
    # A1's CMR waits for its summary; no row fails an edit
    assert counts["validation_warnings"]["cmr_awaiting_summary"] == 1
    assert sum(counts["validation_errors"].values()) == 0
    assert warehouse_rows(published["home"], "SELECT member_id, targeting_reason, targeting_reason_source "
                                             "FROM mtm_enrollment_ledger ORDER BY 1") == [
        ("A1", "02", "enrollment"), ("A2", "02", "enrollment"), ("B1", "02", "enrollment"),
        ("NOMBI", "02", "enrollment")]


def test_run_folder_quality_files_are_exact_and_only_the_shareable_page_suppresses(published):
    """Issue 25 item 11 on the run folder: program_metrics.csv and dashboard.html carry the exact counts (3
    Part D enrollees in H1234); dashboard_shareable.html shows them as <11."""
    import re

    folder = published["folder"]
    with (folder / "program_metrics.csv").open(newline="") as fh:
        metrics = {(r["contract_id"], r["month"], r["metric"]): r["value"] for r in csv.DictReader(fh)}
    assert metrics[("H1234", "2025-09", "part_d_enrollees")] == "3"

    def funnel(name: str) -> dict:
        html = (folder / name).read_text()
        data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                                    html, re.S).group(1))
        return {r["step"]: r["label"] for r in data["views"]["H1234"]["charts"]["funnel"]["rows"]}

    assert funnel("dashboard.html")["Part D enrollees"] == "3"
    assert funnel("dashboard_shareable.html")["Part D enrollees"] == "<11"


def test_mtm_report_shareable_writes_suppressed_measures_and_nothing_member_level(published, tmp_path):
    from click.testing import CliRunner

    from mtm.cli import main

    out = tmp_path / "shared"
    result = CliRunner().invoke(main, ["report", "--contract", "H1234", "--year", "2025", "--home",
                                       str(published["home"]), "--out", str(out), "--shareable"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"quality_measures.csv", "report.json"}
    assert json.loads((out / "report.json").read_text())["shareable"] is True
    with (out / "quality_measures.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r[c] in ("", "0", "<11", "suppressed") or int(r[c]) >= 11
                        for r in rows for c in ("numerator", "denominator", "recoverable_members"))
