"""The run's parameters: one row, the as-of date D and the plan settings in force (targeting-rules.md sections
0-8), resolved against the CMS limits of the contract year (pipelines/run_state/settings.py). Every SQL model reads D
and
the settings from the ``run_parameters`` table, never from code; every run rebuilds it.

The row is a typed dataclass and the table's ``CREATE TABLE`` is made from its fields (a field's type gives its
column's type; ``X | None`` a column that may be NULL), so the table and the row cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import types
from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any, get_args, get_type_hints

#: the column type of each field type; money (the cost threshold) is exact, two places
SQL_TYPES: dict[type, str] = {
    dt.date: "DATE", dt.datetime: "TIMESTAMP", int: "INTEGER", str: "VARCHAR", bool: "BOOLEAN",
    float: "DOUBLE", Decimal: "DECIMAL(18, 2)",
}


@dataclass(frozen=True)
class RunParameters:
    as_of_date: dt.date
    contract_year: int
    min_core_conditions: int
    min_part_d_drugs: int
    drug_count_scope: str
    cost_method: str
    cost_threshold: Decimal
    core_disease_set: int
    core_disease_count: int
    use_dx_evidence: bool
    use_rx_evidence: bool
    drug_lookback_days: int
    cost_lookback_days: int
    dx_lookback_days: int
    rx_condition_lookback_days: int
    rollover_enrollees: bool
    outreach_include_hospice: bool
    ddi_min_overlap_days: int
    tmr_grace_days: int
    retry_no_answer_days: int
    retry_left_message_days: int
    retry_refused_days: int
    priority_urgency: float
    priority_risk_signals: float
    priority_dmp_at_risk: float
    priority_core_conditions: float
    priority_part_d_drugs: float
    priority_projected_cost: float
    priority_drug_interaction: float
    member_status_delivered: bool
    as_known_at: dt.datetime | None  # the audit cut-off (mtm run --as-known-at), or NULL

    @classmethod
    def of(cls, settings: dict[str, dict[str, Any]], as_of: dt.date, member_status_delivered: bool,
           as_known_at: dt.datetime | None = None) -> RunParameters:
        """The row for resolved ``settings`` (pipelines/run_state/settings.py) at ``as_of``."""
        c, w, outreach, priority = settings["criteria"], settings["windows"], settings["outreach"], settings["priority"]
        return cls(
            as_of_date=as_of,
            contract_year=as_of.year,
            min_core_conditions=c["min_core_conditions"],
            min_part_d_drugs=c["min_part_d_drugs"],
            drug_count_scope=c["drug_count_scope"],
            cost_method=c["cost_method"],
            cost_threshold=Decimal(f"{float(c['cost_threshold']):.2f}"),
            core_disease_set=c["core_disease_set"],
            core_disease_count=c["core_disease_count"],
            use_dx_evidence="dx" in c["condition_sources"],
            use_rx_evidence="rx" in c["condition_sources"],
            drug_lookback_days=w["drug_lookback_days"],
            cost_lookback_days=w["cost_lookback_days"],
            dx_lookback_days=w["dx_lookback_days"],
            rx_condition_lookback_days=w["rx_condition_lookback_days"],
            rollover_enrollees=settings["enrollment"]["rollover_enrollees"],
            outreach_include_hospice=outreach["outreach_include_hospice"],
            ddi_min_overlap_days=outreach["ddi_min_overlap_days"],
            tmr_grace_days=outreach["tmr_grace_days"],
            retry_no_answer_days=outreach["retry_no_answer_days"],
            retry_left_message_days=outreach["retry_left_message_days"],
            retry_refused_days=outreach["retry_refused_days"],
            priority_urgency=float(priority["urgency"]),
            priority_risk_signals=float(priority["risk_signals"]),
            priority_dmp_at_risk=float(priority["dmp_at_risk"]),
            priority_core_conditions=float(priority["core_conditions"]),
            priority_part_d_drugs=float(priority["part_d_drugs"]),
            priority_projected_cost=float(priority["projected_cost"]),
            priority_drug_interaction=float(priority["drug_interaction"]),
            member_status_delivered=member_status_delivered,
            as_known_at=as_known_at,
        )

    def values(self) -> dict[str, Any]:
        """column -> value, in the table's column order."""
        return asdict(self)


def _column(name: str, hint: Any) -> str:
    options = get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    kind = next(t for t in options if t is not type(None))
    return f"{name} {SQL_TYPES[kind]}{'' if type(None) in options else ' NOT NULL'}"


def run_parameters_ddl() -> str:
    """``CREATE OR REPLACE TABLE run_parameters``, one column per field of ``RunParameters``, in order."""
    hints = get_type_hints(RunParameters)
    columns = ",\n    ".join(_column(f.name, hints[f.name]) for f in fields(RunParameters))
    return f"CREATE OR REPLACE TABLE run_parameters (\n    {columns}\n)"
