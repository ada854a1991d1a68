"""Issue 26 item 10: one ranking per contract across the CMR services of the call list, overdue first, no
shared ranks; the TMR worklist is ranked apart; hospice last. Model-harness tests of tgt_service_priority,
and the workbook's and the portal's highlighting of overdue rows."""

from __future__ import annotations

import datetime as dt

import openpyxl

from pipelines.publishing.exports.outreach import sheet_title, write_outreach_xlsx
from pipelines.publishing.output_contract import OUTREACH_COLUMNS

D = dt.date(2025, 9, 30)


def due(member_id: str, service: str, days_until_due: int, contract: str = "H1234", hospice: bool = False) -> dict:
    order = {"cmr_initial": 1, "cmr_annual": 2, "cmr_follow_up": 3, "tmr": 4}[service]
    return {"member_id": member_id, "contract_id": contract, "service": service, "service_order": order,
            "due_date": D + dt.timedelta(days=days_until_due), "days_until_due": days_until_due,
            "hospice": hospice}


def facts(member_id: str, drugs: int = 2, conditions: int = 1, cost: float = 100.0, arb: bool = False) -> dict:
    return {"member_id": member_id, "part_d_drugs": drugs, "core_conditions": conditions,
            "projected_annual_cost": cost, "arb": arb}


def ranks(rows: list[dict]) -> dict[tuple[str, str], int]:
    return {(r["member_id"], r["service"]): r["priority_rank"] for r in rows}


def test_one_ranking_across_services_overdue_first_no_shared_ranks(model):
    rows = model(
        "tgt_service_priority",
        tgt_service_due=[
            due("INITIAL_SOON", "cmr_initial", 5),            # not yet due, but the highest score
            due("FOLLOW_UP_LATE", "cmr_follow_up", -188),     # 188 days overdue follow-up
            due("ANNUAL_LATE", "cmr_annual", -3),
            due("INITIAL_LATER", "cmr_initial", 40),
            due("HOSPICE_LATE", "cmr_initial", -100, hospice=True),
            due("OTHER_CONTRACT", "cmr_initial", 10, contract="H5678"),
            due("INITIAL_SOON", "tmr", 20),
            due("FOLLOW_UP_LATE", "tmr", 20),
        ],
        tgt_member_criteria=[facts("INITIAL_SOON", drugs=15, conditions=9, cost=99999, arb=True),
                             facts("FOLLOW_UP_LATE"), facts("ANNUAL_LATE"), facts("INITIAL_LATER"),
                             facts("HOSPICE_LATE", drugs=15, conditions=9, cost=99999, arb=True),
                             facts("OTHER_CONTRACT")],
    )
    got = ranks(rows)
    h1234_calls = {k: v for k, v in got.items() if k[1] != "tmr" and k[0] != "OTHER_CONTRACT"}
    # the call list of H1234 is one ranking 1..n across its services: overdue first (the 188-day late
    # follow-up before the 3-day late annual offer on its higher urgency), then the rest by score, hospice last
    assert sorted(h1234_calls, key=h1234_calls.get) == [
        ("FOLLOW_UP_LATE", "cmr_follow_up"), ("ANNUAL_LATE", "cmr_annual"), ("INITIAL_SOON", "cmr_initial"),
        ("INITIAL_LATER", "cmr_initial"), ("HOSPICE_LATE", "cmr_initial")]
    assert sorted(h1234_calls.values()) == [1, 2, 3, 4, 5]
    # another contract's list and the TMR worklist are ranked on their own
    assert got[("OTHER_CONTRACT", "cmr_initial")] == 1
    assert {got[("INITIAL_SOON", "tmr")], got[("FOLLOW_UP_LATE", "tmr")]} == {1, 2}


def test_overdue_comes_first_even_against_a_much_higher_score(model):
    rows = model(
        "tgt_service_priority",
        tgt_service_due=[due("HIGH", "cmr_initial", 0), due("LOW_LATE", "cmr_follow_up", -1)],
        tgt_member_criteria=[facts("HIGH", drugs=15, conditions=9, cost=99999, arb=True), facts("LOW_LATE")],
    )
    score = {r["member_id"]: r["priority_score"] for r in rows}
    assert score["HIGH"] > score["LOW_LATE"]
    assert ranks(rows) == {("LOW_LATE", "cmr_follow_up"): 1, ("HIGH", "cmr_initial"): 2}


def test_the_workbook_highlights_overdue_rows(tmp_path):
    names = list(OUTREACH_COLUMNS)
    row = dict.fromkeys(names)
    late = tuple({**row, "member_id": "M1", "service": "cmr_follow_up", "days_until_due": -12}[c] for c in names)
    path = tmp_path / "list.xlsx"
    write_outreach_xlsx({"cmr_follow_up": (OUTREACH_COLUMNS, [late])}, path)
    sheet = openpyxl.load_workbook(path)[sheet_title("cmr_follow_up")]
    rules = [rule for rng in sheet.conditional_formatting for rule in rng.rules]
    column = openpyxl.utils.get_column_letter(names.index("days_until_due") + 1)
    assert [r.formula for r in rules] == [[f"${column}2<0"]]
    assert rules[0].dxf.fill.bgColor.rgb.endswith("FDECEA")
