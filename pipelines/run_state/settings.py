"""Plan settings: a TOML file, every key named as in targeting-rules.md, checked against CMS limits.

The schema is a pydantic model (``PlanSettings``): each key has a type, a default and, where CMS or common
sense sets one, a limit; the CMS limits that depend on the contract year are applied afterwards
(``_apply_cms_limits``).  An unknown key, a wrong type or a value outside the limits stops the run with a
message that names the key and quotes the limit.
"""

from __future__ import annotations

import csv
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines import PACKAGE_DIR
from pipelines.run_state.errors import SettingsError

PARAMETERS_CSV = PACKAGE_DIR / "reference" / "data" / "cms_mtm_parameters.csv"


class _Section(BaseModel):
    #: strict: "8" is not 8 and true is not 1 to a plan analyst; unknown keys are refused
    model_config = ConfigDict(extra="forbid", strict=True)


Source = Literal["dx", "rx"]
SOURCES: tuple[Source, ...] = ("dx", "rx")


class Criteria(_Section):
    min_core_conditions: int = Field(3, ge=2, description="CMS: 2 or 3 (a plan may not require more than 3)")
    min_part_d_drugs: int = Field(8, ge=2, description="CMS: 2 to 8 (a plan may not require more than 8)")
    drug_count_scope: Literal["all", "maintenance"] = "all"
    cost_method: Literal["trailing", "ytd_annualized"] = "trailing"
    cost_threshold: float | None = Field(None, ge=0, description="may not be set above the contract year's CMS value")
    core_disease_set: int | None = Field(None, description="a contract year of the CMS parameter table")
    condition_sources: list[Source] = Field(default_factory=lambda: list(SOURCES), min_length=1, max_length=2)

    @field_validator("condition_sources")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each source may be named once")
        return value


class Windows(_Section):
    drug_lookback_days: int = Field(90, ge=1, le=3660)
    cost_lookback_days: int = Field(90, ge=1, le=3660)
    dx_lookback_days: int = Field(730, ge=1, le=3660)
    rx_condition_lookback_days: int = Field(365, ge=1, le=3660)


class Enrollment(_Section):
    rollover_enrollees: bool = False


class Outreach(_Section):
    outreach_include_hospice: bool = True
    ddi_min_overlap_days: int = Field(7, ge=1, le=90, description="days of the last 90 on which both drugs of "
                                      "an interaction are covered together (targeting-rules.md section 8)")
    tmr_grace_days: int = Field(30, ge=0, le=92, description="a member enrolled in the last N days of a quarter "
                                                             "has the first TMR due in the next quarter")
    # issue 26 item 9: the next-try date of the outreach list after an unanswered attempt (a wrong number
    # flags the phone instead: no next try on that number)
    retry_no_answer_days: int = Field(2, ge=0, le=90, description="days after a no_answer attempt to try again")
    retry_left_message_days: int = Field(3, ge=0, le=90, description="days after a left_message to try again")
    retry_refused_days: int = Field(30, ge=0, le=365, description="days after a member refused the call to try "
                                                                  "again (a refusal is not an opt-out)")


class Priority(_Section):
    """Weights of the priority score (targeting-rules.md section 8): the score's components, then one
    severity weight per medication-risk signal of tgt_risk_signal. A new signal plugs in by adding its
    weight here; a signal without one weighs ``other_signal``."""

    urgency: float = Field(3.0, ge=0)
    risk_signals: float = Field(2.0, ge=0)
    dmp_at_risk: float = Field(1.0, ge=0)
    core_conditions: float = Field(1.0, ge=0)
    part_d_drugs: float = Field(0.5, ge=0)
    projected_cost: float = Field(1.0, ge=0)
    drug_interaction: float = Field(2.0, ge=0, description="weight of a drug-drug interaction, x its severity_factor")
    opioid_benzodiazepine: float = Field(3.0, ge=0, description="weight of one medication-risk signal")
    cns_polypharmacy: float = Field(2.0, ge=0, description="weight of one medication-risk signal")
    anticholinergic_burden: float = Field(1.5, ge=0, description="weight of one medication-risk signal")
    high_risk_elderly: float = Field(1.5, ge=0, description="weight of one medication-risk signal")
    duplicate_therapy: float = Field(1.0, ge=0, description="weight of one medication-risk signal")
    adherence_gap: float = Field(1.0, ge=0, description="weight of one medication-risk signal")
    other_signal: float = Field(1.0, ge=0, description="weight of a signal without a key of its own")


#: the priority score's components; every other [priority] key is a signal weight (run_signal_weight)
PRIORITY_COMPONENTS = ("urgency", "risk_signals", "dmp_at_risk", "core_conditions", "part_d_drugs", "projected_cost")
SIGNAL_WEIGHTS: dict[str, float] = {name: field.default for name, field in Priority.model_fields.items()
                                    if name not in PRIORITY_COMPONENTS}


class Validation(_Section):
    max_reject_rate: float = Field(0.05, ge=0, le=1,
                                   description="share of a table's rows that may be rejected before the run fails")
    gx_sample_rows: int = Field(25_000, ge=0, description="rows sampled per table for Great Expectations; 0 = not run")


CheckName = Literal["row_count_change", "targeting_rate_change", "reject_rate", "ndc_identified_share"]


class Checks(_Section):
    """Output checks against the previous published run (pipelines/publishing/output_checks.py); WARN unless
    named in ``blocking``, then a failure stops publication and the last published run stays in place."""

    max_change_rate: float = Field(0.25, ge=0, description="relative change of a row count or of the targeting "
                                                           "rate vs the previous published run")
    warn_reject_rate: float = Field(0.01, ge=0, le=1, description="share of input rows rejected")
    min_ndc_identified_share: float = Field(0.90, ge=0, le=1, description="share of fills identified by NDC")
    blocking: list[CheckName] = Field(default_factory=list)


class Schedule(_Section):
    """The nightly schedule (dagster_project/defs/schedules.py reads the file named by $MTM_SETTINGS)."""

    cron: str = "0 2 * * *"
    timezone: str = "America/New_York"


class Run(_Section):
    lock_wait_seconds: int = Field(0, ge=0, le=86_400, description="how long a second run on the same home "
                                                                   "waits for the first before failing")


class Sources(_Section):
    synpuf_contract_id: str = "SYNPUF"
    synthea_contract_id: str = "SYNTHEA"


#: the quality measures a plan may set a target for (quality_measures.csv measure_id; targeting-rules.md section 9)
MeasureId = Literal["cmr_completion", "pdc_sta", "pdc_rasa", "pdc_dr", "supd", "cob", "poly_ach", "poly_cns"]


class Dashboard(_Section):
    """Plan-set targets the dashboard draws on its measure charts (issue 26 item 3), e.g. the Star cut point
    the plan aims for: a rate from 0 to 1 per measure id. The spec sets none; no target, no line."""

    targets: dict[MeasureId, float] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for measure, rate in value.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"target {measure} = {rate} is not a rate from 0 to 1 (e.g. 0.85)")
        return value


class PlanSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    criteria: Criteria = Field(default_factory=Criteria)
    windows: Windows = Field(default_factory=Windows)
    enrollment: Enrollment = Field(default_factory=Enrollment)
    outreach: Outreach = Field(default_factory=Outreach)
    priority: Priority = Field(default_factory=Priority)
    validation: Validation = Field(default_factory=Validation)
    sources: Sources = Field(default_factory=Sources)
    checks: Checks = Field(default_factory=Checks)
    schedule: Schedule = Field(default_factory=Schedule)
    run: Run = Field(default_factory=Run)
    dashboard: Dashboard = Field(default_factory=Dashboard)


def _message(error: Mapping[str, Any], raw: dict[str, Any]) -> str:
    """One pydantic error in the words of the settings file: section, key, the limit and its reason."""
    loc = [str(part) for part in error["loc"]]
    kind, value = error["type"], error.get("input")
    if len(loc) == 1:
        if kind == "extra_forbidden":
            return (f"unknown settings section [{loc[0]}]{_did_you_mean(loc[0], PlanSettings.model_fields, '[{}]')}; "
                    f"known: {', '.join(PlanSettings.model_fields)}")
        return f"[{loc[0]}] must be a table of keys"
    section, key = loc[0], loc[1]
    where = f"[{section}] {key}"
    model = cast(type[BaseModel], PlanSettings.model_fields[section].annotation)
    if kind == "extra_forbidden":
        return f"unknown key {where}{_did_you_mean(key, model.model_fields)}; known: {', '.join(model.model_fields)}"
    field = model.model_fields[key]
    note = f" {field.description}" if field.description else ""
    limit = (error.get("ctx") or {})
    if kind == "greater_than_equal":
        return f"{where}: {value} is below the minimum {limit['ge']}.{note}"
    if kind == "less_than_equal":
        return f"{where}: {value} is above the maximum {limit['le']}.{note}"
    if kind == "literal_error":
        return f"{where}: {value!r} is not allowed; choose one of {limit.get('expected', '')}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = kind.split("_")[0]
        got = raw.get(section, {}).get(key) if isinstance(raw.get(section), dict) else value
        return f"{where}: expected {expected}, got {got!r}"
    return f"{where}: {error['msg']}"


def _did_you_mean(name: str, known, shape: str = "{}") -> str:
    """A typo's likely intended name (min_core_condition -> min_core_conditions)."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {shape.format(close[0])}?)" if close else ""


@dataclass(frozen=True)
class CmsParameters:
    contract_year: int
    core_diseases: int
    max_required_conditions: int
    max_required_drugs: int
    cost_threshold: float


def cms_parameters() -> dict[int, CmsParameters]:
    with PARAMETERS_CSV.open(newline="") as fh:
        return {
            int(r["contract_year"]): CmsParameters(
                int(r["contract_year"]), int(r["core_diseases"]), int(r["max_required_conditions"]),
                int(r["max_required_drugs"]), float(r["cost_threshold"]),
            )
            for r in csv.DictReader(fh)
        }


def read_settings_file(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    try:
        with Path(path).open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file {path} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc


def resolve_settings(raw: dict[str, Any], contract_year: int) -> dict[str, dict[str, Any]]:
    """Defaults + the file's values, checked; CY-dependent CMS limits applied; thresholds filled in."""
    try:
        settings = PlanSettings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(_message(exc.errors()[0], raw)) from None
    resolved = settings.model_dump()
    _apply_cms_limits(resolved["criteria"], contract_year)
    return resolved


def _apply_cms_limits(criteria: dict[str, Any], contract_year: int) -> None:
    params = cms_parameters()
    cms = params.get(contract_year)
    max_conditions = cms.max_required_conditions if cms else 3
    max_drugs = cms.max_required_drugs if cms else 8
    if criteria["min_core_conditions"] > max_conditions:
        raise SettingsError(
            f"[criteria] min_core_conditions: {criteria['min_core_conditions']} is above the CMS limit: "
            f"a plan may not require more than {max_conditions} core chronic diseases (CY{contract_year})"
        )
    if criteria["min_part_d_drugs"] > max_drugs:
        raise SettingsError(
            f"[criteria] min_part_d_drugs: {criteria['min_part_d_drugs']} is above the CMS limit: "
            f"a plan may not require more than {max_drugs} Part D drugs (CY{contract_year})"
        )
    threshold = criteria["cost_threshold"]
    if cms is None and threshold is None:
        raise SettingsError(
            f"[criteria] cost_threshold: contract year {contract_year} is not in the CMS parameter table "
            f"(years {min(params)}-{max(params)}); the settings file must name the cost threshold"
        )
    if cms is not None and threshold is not None and threshold > cms.cost_threshold:
        raise SettingsError(
            f"[criteria] cost_threshold: {threshold:.2f} is above the CMS limit: it may not be set above "
            f"CY{contract_year}'s ${cms.cost_threshold:.2f}"
        )
    if threshold is None and cms is not None:
        criteria["cost_threshold"] = cms.cost_threshold
    disease_year = criteria["core_disease_set"]
    if disease_year is None:
        disease_year = contract_year if cms else (2025 if contract_year >= 2025 else min(params))
        criteria["core_disease_set"] = disease_year
    if disease_year not in params:
        raise SettingsError(
            f"[criteria] core_disease_set: {disease_year} is not a contract year of the CMS parameter "
            f"table ({min(params)}-{max(params)})"
        )
    criteria["core_disease_count"] = params[disease_year].core_diseases


def signal_weight_rows(settings: dict[str, dict[str, Any]]) -> list[tuple[str, float]]:
    """The ``run_signal_weight`` table: (signal, weight) for every medication-risk signal weight in force."""
    return [(name, float(settings["priority"][name])) for name in SIGNAL_WEIGHTS]
