"""Rule tests from extract rows without a run (issue 24): the SQL models from staging to the rule's table,
built by the model harness (``ModelHarness.chain``) in memory from a scenario's rows.

A scenario is the extract rows a test would have written to files (``tests/extract_builder.py``: real NDCs
of the shipped map, ICD-10 codes as a plan sends them), table -> rows. They are given as staging holds them:
pharmacy claims as ingested (``raw_pharmacy_claim``: the staging rules of claim versions and reversals run),
eligibility, medical claims, DMP and member-status rows as staged (DuckDB casts the text on insert). The run
parameters come from the real settings (``RunParameters.of``), so a test at other settings or another date
says so. What this leaves out -- reading files, the Python steps, publishing -- is tested by the whole runs
(test_orchestration.py, test_engine.py, the adapter tests).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipelines.run_state.run_context import RunContext
from pipelines.run_state.run_parameters import RunParameters
from tests.model_harness import ModelHarness

D = dt.date(2025, 9, 30)
#: staging -> core -> tgt_member_criteria (targeting-rules.md sections 2-5)
TARGETING_CHAIN = [
    "stg_pharmacy_claim", "stg_diagnosis_all", "stg_diagnosis", "core_member_status", "core_member",
    "core_member_span", "core_member_coverage", "core_disease_set", "core_atc_condition", "core_fill_product",
    "core_fill", "core_active_drug", "core_member_drug_count", "core_member_cost", "core_condition_dx_claim",
    "core_condition_dx", "core_condition_rx_fill", "core_condition_rx", "core_condition_eligibility",
    "core_condition_evidence", "core_member_condition", "tgt_member_arb", "tgt_member_criteria",
]
#: and on to the medication-risk signals, their flags and their published evidence (section 8)
SIGNAL_CHAIN = [
    *TARGETING_CHAIN, "core_year_fill", "tgt_member_pdc", "tgt_signal_interval", "tgt_drug_interaction",
    "tgt_risk_signal", "tgt_member_priority", "member_risk_signals",
]
#: a first run's enrolment and services (sections 6-8): the MTM events, the ledger a run would write
#: (tgt_ledger_next, from the ledger given: empty for a home's first run), the services due, their priority,
#: member_summary and the outreach files (adherence gaps left empty: test_quality_measures.py has them)
ENROLLMENT_CHAIN = [
    *TARGETING_CHAIN, "core_year_fill", "tgt_member_pdc", "tgt_signal_interval", "tgt_drug_interaction",
    "tgt_risk_signal", "stg_mtm_event", "tgt_mtm_event_contract", "tgt_mtm_event_history", "tgt_mtm_event",
    "tgt_enrollment_evidence", "tgt_opt_out_request", "tgt_ledger_next", "tgt_mtm_enrollment",
    "tgt_member_service_history", "tgt_service_due", "tgt_member_signal_points", "tgt_service_priority",
    "tgt_member_priority", "member_summary", "member_contact", "outreach_list", "tmr_worklist",
]


def parameters(tmp_path: Path, as_of: dt.date = D, settings: str = "", member_status: bool = False) -> dict:
    """run_parameters as a run at ``as_of`` with ``settings`` writes them (``member_status``: the extract
    has a member_status file)."""
    path = tmp_path / "settings.toml"
    path.write_text(settings)
    ctx = RunContext.create(home=tmp_path, extract_dirs=[tmp_path], as_of=as_of, settings_file=path)
    return RunParameters.of(ctx.settings, ctx.as_of, member_status_delivered=member_status,
                            as_known_at=None).values()


def signal_weights(tmp_path: Path, settings: str = "") -> list[dict]:
    """run_signal_weight as a run with ``settings`` writes it."""
    from pipelines.run_state.settings import signal_weight_rows

    path = tmp_path / "settings.toml"
    path.write_text(settings)
    ctx = RunContext.create(home=tmp_path, extract_dirs=[tmp_path], as_of=D, settings_file=path)
    return [{"signal": name, "weight": weight} for name, weight in signal_weight_rows(ctx.settings)]


def staged(rows: list[dict]) -> list[dict]:
    """Extract rows as staging holds them (file order in _seq, dates as text: DuckDB casts on insert)."""
    return [{"_seq": i, **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}}
            for i, row in enumerate(rows, start=1)]


def generic_names(fills: list[dict]) -> list[dict]:
    """ref_generic_name as the run's Python step writes it (pipelines.engine.steps.load_generic_names)."""
    from pipelines.reference import normalise_generic_name

    names = {f["generic_name"] for f in fills if f.get("generic_name")}
    return [{"generic_name": n, "drug_key": key} for n in sorted(names) if (key := normalise_generic_name(n))]


def as_published(value: Any) -> str:
    """A value as the published CSV files write it (true/false, exact decimals, '' for NULL)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def build(harness: ModelHarness, tmp_path: Path, scenario: dict[str, list[dict]], chain: list[str] | None = None,
          as_of: dt.date = D, settings: str = "", ledger: list[dict] | None = None,
          database: Path | None = None) -> dict[str, list[dict]]:
    """Every model of ``chain`` (TARGETING_CHAIN by default) as built from the scenario's rows. ``ledger``: the
    MTM enrollment ledger an earlier run left (its tgt_ledger_next rows: the run copies them), empty by default;
    ``database``: build in that file."""
    fills = scenario.get("pharmacy_claim", [])
    given = {"stg_eligibility": staged(scenario["eligibility"]), "raw_pharmacy_claim": staged(fills),
             "stg_medical_claim": staged([{"icd_version": "10", **c} for c in scenario.get("medical_claim", [])]),
             "stg_dmp_arb": staged(scenario.get("dmp_arb", [])),
             "stg_member_status": staged(scenario.get("member_status", [])), "row_rejects": []}
    if generic_names(fills):
        given["ref_generic_name"] = generic_names(fills)
    chain = chain or TARGETING_CHAIN
    if "stg_mtm_event" in chain:
        given |= {"raw_mtm_event": staged(scenario.get("mtm_event", [])), "mtm_enrollment_ledger": ledger or [],
                  "run_signal_weight": signal_weights(tmp_path, settings)}
    params = parameters(tmp_path, as_of, settings, member_status="member_status" in scenario)
    return harness.chain(chain, params=params, database=database, **given)


def by_member(rows: list[dict]) -> dict[str, dict[str, str]]:
    """Rows by member, values as the published CSV files write them."""
    return {r["member_id"]: {k: as_published(v) for k, v in r.items()} for r in rows}
