"""The output contracts (outputs.md) as data, beside the input contract: the columns downstream users rely on.

The blocking asset checks, the exports and the tests all read these lists; the ``cond_*`` columns come
from the reference list of core diseases (``core_diseases.csv``), the same table the SQL pivots from.
"""

from __future__ import annotations

import csv
from functools import cache

from pipelines.reference.files import data_path


@cache
def core_disease_columns() -> tuple[str, ...]:
    """``cond_<disease>`` for each core disease of the reference list, in its display order."""
    with data_path("core_diseases.csv").open(newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: int(r["display_order"]))
    return tuple(f"cond_{r['core_condition']}" for r in rows)


def member_summary_columns() -> tuple[str, ...]:
    """outputs.md "member_summary columns", in order."""
    return (
        "member_id", "contract_id", "pbp_id", "as_of_date", "age", "part_d_drugs", "maintenance_drugs",
        "projected_annual_cost", "core_conditions", *core_disease_columns(),
        "meets_conditions", "meets_drugs", "meets_cost", "arb", "targeting_reason", "meets_criteria",
        "mtm_enrolled", "date_met_criteria", "mtm_enrollment_date", "enrollment_source", "opt_out_date",
        "opt_out_reason", "risk_flags", "priority_score",
    )


#: The contact block both outreach files carry, in this order: who the member is and how to call them.
#: column -> (kind, width in the workbook); kinds: text, date, int, number, money, bool. Names, phones,
#: addresses and birth dates appear in these two blocks and nowhere else. The SQL takes both blocks whole
#: from ``member_contact`` (sql/outputs/member_contact.sql yields exactly these columns, in this order).
CONTACT_COLUMNS: dict[str, tuple[str, int]] = {
    "member_id": ("text", 14),
    "mbi": ("text", 13),
    "first_name": ("text", 14),
    "last_name": ("text", 16),
    "birth_date": ("date", 11),
    "age": ("int", 5),
    "phone": ("text", 14),
}

#: What a letter needs besides: the call list (outreach_list) carries it, the TMR desk review does not.
MAILING_COLUMNS: dict[str, tuple[str, int]] = {
    "preferred_language": ("text", 9),
    "address_line": ("text", 24),
    "city": ("text", 14),
    "state": ("text", 5),
    "zip_code": ("text", 8),
}

#: outreach_list.csv / .xlsx: column -> (kind, width in the workbook).
OUTREACH_COLUMNS: dict[str, tuple[str, int]] = {
    "contract_id": ("text", 9),
    "pbp_id": ("text", 6),
    "service": ("text", 14),
    "priority_rank": ("int", 8),
    "priority_score": ("number", 8),
    "due_date": ("date", 11),
    "days_until_due": ("int", 8),
    **CONTACT_COLUMNS,
    **MAILING_COLUMNS,
    "contact_note": ("text", 28),
    "reasons": ("text", 90),
    "part_d_drugs": ("int", 8),
    "core_conditions": ("int", 9),
    "projected_annual_cost": ("money", 12),
    "risk_signal_count": ("int", 8),
    "risk_flags": ("text", 30),
    "hospice": ("bool", 8),
    "ltc_resident": ("bool", 8),
    "mtm_enrollment_date": ("date", 11),
    "enrollment_source": ("text", 12),
    "cmr_offer_date": ("date", 11),
    "last_cmr_offer_date": ("date", 11),
    "last_cmr_completed_date": ("date", 11),
    "last_tmr_date": ("date", 11),
    "attempts_since_last_offer": ("int", 8),
    "cognitively_impaired": ("bool", 10),
    "as_of_date": ("date", 11),
    "adherence_gaps": ("text", 40),  # recoverable PDC gaps in words (qm_member_adherence_gap)
    # issue 26 item 9: the last attempt since the last offer, a wrong-number flag, the next-try date
    "last_attempt_outcome": ("text", 14),
    "phone_flag": ("text", 24),
    "next_try_date": ("date", 11),
}

#: tmr_worklist.csv and its sheet (targeting-rules.md section 7): the pharmacist's desk-review list
TMR_COLUMNS: dict[str, tuple[str, int]] = {
    "contract_id": ("text", 9),
    "pbp_id": ("text", 6),
    "quarter_due": ("text", 8),
    "due_date": ("date", 11),
    "priority_rank": ("int", 8),
    "priority_score": ("number", 8),
    **CONTACT_COLUMNS,
    "contact_note": ("text", 20),
    "active_drug_count": ("int", 7),
    "active_drugs": ("text", 90),
    "risk_signals": ("text", 70),
    "adherence_gaps": ("text", 40),
    "recoverable_gaps": ("text", 40),
    "primary_prescriber_npi": ("text", 12),
    "last_cmr_date": ("date", 11),
    "last_tmr_date": ("date", 11),
    "part_d_drugs": ("int", 8),
    "core_conditions": ("int", 9),
    "hospice": ("bool", 8),
    "ltc_resident": ("bool", 8),
    "cognitively_impaired": ("bool", 10),
    "mtm_enrollment_date": ("date", 11),
    "enrollment_source": ("text", 12),
    "as_of_date": ("date", 11),
}

# -- program reporting (issue 14): the columns the dashboard and CMS submissions build against --------------
QUALITY_MEASURE_COLUMNS = ("contract_id", "measurement_year", "measure_id", "measure_name", "numerator",
                           "denominator", "rate", "too_small_to_rate", "year_end_low", "year_end_high",
                           "recoverable_members", "lower_is_better")
QUALITY_MEASURE_MEMBER_COLUMNS = ("member_id", "contract_id", "measure_id", "in_denominator", "in_numerator",
                                  "exclusion_reason", "pdc", "days_covered", "days_in_period", "recoverable",
                                  "days_may_still_miss")
PROGRAM_METRIC_COLUMNS = ("contract_id", "month", "metric", "value")
CRITERIA_WHATIF_COLUMNS = ("contract_id", "min_core_conditions", "min_part_d_drugs", "threshold_source",
                           "cost_threshold", "is_current", "members_meeting", "cmr_workload",
                           "members_meeting_change", "cmr_workload_change")
