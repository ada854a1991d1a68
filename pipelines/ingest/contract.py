"""The canonical input contract (input-contract.md) as data.

Readers, validation, Great Expectations suites, adapters and the synthetic generator all read these
declarations, so the contract is written down once.  A column's ``kind`` drives how its text is parsed
in staging and which expectation guards it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT, DATE, INT, DECIMAL, BOOL, TIMESTAMP = "text", "date", "int", "decimal", "bool", "timestamp"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    required: bool = False
    #: PHI columns never reach logs, run reports, rejects values or dashboards.
    phi: bool = False
    #: allowed values for a coded column (lower-case text), empty = free text
    allowed: tuple[str, ...] = ()
    #: the range of a number column (row checks and Great Expectations both read it); None = unbounded
    minimum: float | None = None
    maximum: float | None = None

    @property
    def range_reason(self) -> str:
        """The reject reason of a value outside the range, in the words of input-contract.md."""
        if self.minimum == 0 and self.maximum is None:
            return "negative amount"
        return f"{self.name} outside {self.minimum:g}..{self.maximum:g}"


@dataclass(frozen=True)
class Table:
    name: str
    grain: str
    columns: tuple[Column, ...]
    #: the extract may lack the file entirely (PDPs have no medical claims, etc.)
    optional_file: bool = False
    #: claim-like tables carry versions (claim_id, claim_status, processed_at)
    versioned: bool = False
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CLAIM_STATUSES = ("paid", "reversed")
CLAIM_TYPES = ("inpatient", "snf", "home_health", "hospice", "outpatient", "professional")
MTM_EVENT_TYPES = (
    "cmr_offered",
    "cmr_completed",
    "cmr_declined",
    "tmr_completed",
    "summary_sent",
    "dtp_recommendation",
    "dtp_resolved",
    "opted_out",
    "outreach_attempt",
    "safe_disposal_info",
    "prescriber_response",
)
#: drug therapy problem categories of a dtp_recommendation (input-contract.md mtm_event, 2026-12-07)
DTP_TYPES = ("needs_additional_therapy", "unnecessary_drug", "ineffective_drug", "dose_too_low", "dose_too_high",
             "adverse_drug_event", "drug_interaction", "nonadherence", "cost", "other")
#: the prescriber's answer to a recommendation (dtp_resolved or prescriber_response events)
PRESCRIBER_RESPONSES = ("accepted", "modified", "declined", "no_response")
CMR_DELIVERY_METHODS = ("face_to_face", "telephone", "telehealth", "other")
CMR_RECIPIENTS = ("beneficiary", "caregiver", "prescriber", "other")
PROVIDER_TYPES = ("pharmacist", "physician", "nurse_practitioner", "physician_assistant", "registered_nurse", "other")
OUTREACH_CHANNELS = ("phone", "mail", "portal", "in_person", "other")
OUTREACH_OUTCOMES = ("reached", "no_answer", "left_message", "wrong_number", "refused", "other")
OPT_OUT_REASONS = ("death", "disenrolled", "requested", "other")
MEMBER_STATUSES = ("hospice", "ltc_resident", "esrd", "lis")
DIAGNOSIS_POSITIONS = 25

ELIGIBILITY = Table(
    "eligibility",
    "one row per member per Part D enrollment span",
    (
        Column("member_id", required=True),
        Column("mbi"),
        Column("contract_id", required=True),
        Column("pbp_id"),
        Column("enrollment_start_date", DATE, required=True),
        Column("enrollment_end_date", DATE),
        Column("birth_date", DATE, required=True, phi=True),
        Column("sex", allowed=("m", "f", "u")),
        Column("death_date", DATE),
        Column("first_name", phi=True),
        Column("last_name", phi=True),
        Column("phone", phi=True),
        Column("address_line", phi=True),
        Column("city", phi=True),
        Column("state", phi=True),
        Column("zip_code", phi=True),
        Column("preferred_language"),
        Column("ltc_resident", BOOL),
        Column("hospice", BOOL),
        Column("esrd", BOOL),
        Column("lis", BOOL),
    ),
)

PHARMACY_CLAIM = Table(
    "pharmacy_claim",
    "one row per prescription fill (Part D event) version",
    (
        Column("claim_id", required=True),
        Column("member_id", required=True),
        Column("fill_date", DATE, required=True),
        Column("ndc", required=True),
        Column("days_supply", INT, required=True, minimum=1, maximum=365),
        Column("quantity", DECIMAL, minimum=0),
        Column("gross_drug_cost", DECIMAL, required=True, minimum=0),
        Column("patient_pay_amount", DECIMAL, minimum=0),
        Column("plan_paid_amount", DECIMAL, minimum=0),
        Column("generic_name"),
        Column("drug_name"),
        Column("prescriber_npi"),
        Column("pharmacy_npi"),
        Column("refill_number", INT),
        Column("part_d_covered", BOOL),
        Column("drug_coverage_status_code", allowed=("c", "e", "o")),
        Column("route"),
        Column("claim_status", allowed=CLAIM_STATUSES),
        Column("processed_at", TIMESTAMP),
    ),
    versioned=True,
)

MEDICAL_CLAIM = Table(
    "medical_claim",
    "one row per medical claim (header) version, with its diagnoses",
    (
        Column("claim_id", required=True),
        Column("member_id", required=True),
        Column("claim_type", required=True, allowed=CLAIM_TYPES),
        Column("claim_start_date", DATE, required=True),
        Column("claim_end_date", DATE),
        Column("diagnosis_code_1", required=True),
        *(Column(f"diagnosis_code_{i}") for i in range(2, DIAGNOSIS_POSITIONS + 1)),
        Column("icd_version", allowed=("9", "10")),
        Column("claim_status", allowed=CLAIM_STATUSES),
        Column("processed_at", TIMESTAMP),
    ),
    optional_file=True,
    versioned=True,
)

MTM_EVENT = Table(
    "mtm_event",
    "one row per MTM service event recorded by the service team",
    (
        Column("member_id", required=True),
        Column("event_date", DATE, required=True),
        Column("event_type", required=True, allowed=MTM_EVENT_TYPES),
        Column("contract_id"),
        Column("channel", allowed=OUTREACH_CHANNELS),
        Column("outcome", allowed=OUTREACH_OUTCOMES),
        Column("delivery_method", allowed=CMR_DELIVERY_METHODS),
        Column("recipient", allowed=CMR_RECIPIENTS),
        Column("provider_type", allowed=PROVIDER_TYPES),
        Column("opt_out_reason", allowed=OPT_OUT_REASONS),
        Column("cognitively_impaired", BOOL),
        Column("dtp_id"),
        Column("dtp_type", allowed=DTP_TYPES),
        Column("drug_key"),
        Column("prescriber_npi"),
        Column("prescriber_response", allowed=PRESCRIBER_RESPONSES),
    ),
    optional_file=True,
)

DMP_ARB = Table(
    "dmp_arb",
    "one row per at-risk-beneficiary span of the Drug Management Program",
    (
        Column("member_id", required=True),
        Column("arb_start_date", DATE, required=True),
        Column("arb_end_date", DATE),
    ),
    optional_file=True,
)

MEMBER_STATUS = Table(
    "member_status",
    "one row per dated member status (hospice, LTC, ESRD, LIS)",
    (
        Column("member_id", required=True),
        Column("status", required=True, allowed=MEMBER_STATUSES),
        Column("status_start_date", DATE, required=True),
        Column("status_end_date", DATE),
    ),
    optional_file=True,
)

TABLES: dict[str, Table] = {
    t.name: t for t in (ELIGIBILITY, PHARMACY_CLAIM, MEDICAL_CLAIM, MTM_EVENT, DMP_ARB, MEMBER_STATUS)
}

#: Not part of an extract: the authoritative MTM roster that `mtm ledger import FILE` seeds the ledger with
#: (input-contract.md ``mtm_enrollment_seed``; pipelines/publishing/ledger.py).
MTM_ENROLLMENT_SEED = Table(
    "mtm_enrollment_seed",
    "one row per member x contract x contract year of an authoritative MTM roster",
    (
        Column("member_id", required=True),
        Column("contract_id", required=True),
        Column("contract_year", INT, required=True),
        Column("mtm_enrollment_date", DATE, required=True),
        Column("date_met_criteria", DATE),
        Column("targeting_reason", allowed=("01", "02", "03")),
        Column("opt_out_date", DATE),
        Column("opt_out_reason", allowed=OPT_OUT_REASONS),
    ),
)

