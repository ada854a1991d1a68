"""Plan settings: a TOML file, every key named as in targeting-rules.md, checked against CMS limits.

The schema is data (``SCHEMA``): each key has a type, a default and, where CMS sets one, a limit that
depends on the contract year.  An unknown key, a wrong type or a value outside the limits stops the run
with a message that names the key and quotes the limit.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import SettingsError

PARAMETERS_CSV = Path(__file__).resolve().parent / "reference" / "data" / "cms_mtm_parameters.csv"


@dataclass(frozen=True)
class Key:
    type: type | tuple[type, ...]
    default: Any
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    note: str = ""


SCHEMA: dict[str, dict[str, Key]] = {
    "criteria": {
        "min_core_conditions": Key(int, 3, minimum=2, note="CMS: 2 or 3 (a plan may not require more than 3)"),
        "min_part_d_drugs": Key(int, 8, minimum=2, note="CMS: 2 to 8 (a plan may not require more than 8)"),
        "drug_count_scope": Key(str, "all", choices=("all", "maintenance")),
        "cost_method": Key(str, "trailing", choices=("trailing", "ytd_annualized")),
        "cost_threshold": Key((int, float), None, minimum=0,
                              note="may not be set above the contract year's CMS value"),
        "core_disease_set": Key(int, None, note="a contract year of the CMS parameter table"),
        "condition_sources": Key(list, ["dx", "rx"], choices=(["dx", "rx"], ["rx", "dx"], ["dx"], ["rx"])),
    },
    "windows": {
        "drug_lookback_days": Key(int, 90, minimum=1, maximum=3660),
        "cost_lookback_days": Key(int, 90, minimum=1, maximum=3660),
        "dx_lookback_days": Key(int, 730, minimum=1, maximum=3660),
        "rx_condition_lookback_days": Key(int, 365, minimum=1, maximum=3660),
    },
    "enrollment": {"rollover_enrollees": Key(bool, False)},
    "outreach": {"outreach_include_hospice": Key(bool, True)},
    "priority": {
        "urgency": Key((int, float), 3.0, minimum=0),
        "risk_signals": Key((int, float), 2.0, minimum=0),
        "core_conditions": Key((int, float), 1.0, minimum=0),
        "part_d_drugs": Key((int, float), 0.5, minimum=0),
        "projected_cost": Key((int, float), 1.0, minimum=0),
    },
    "validation": {
        "max_reject_rate": Key((int, float), 0.05, minimum=0, maximum=1,
                               note="share of a table's rows that may be rejected before the run fails"),
        "gx_sample_rows": Key(int, 25_000, minimum=100),
    },
    "sources": {"synpuf_contract_id": Key(str, "SYNPUF"), "synthea_contract_id": Key(str, "SYNTHEA")},
}


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


def _type_ok(value: Any, expected: type | tuple[type, ...]) -> bool:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in allowed:
        return False  # True is an int to Python, but not to a plan analyst
    return isinstance(value, expected)


def _check_key(section: str, name: str, key: Key, value: Any) -> None:
    where = f"[{section}] {name}"
    if not _type_ok(value, key.type):
        names = key.type.__name__ if isinstance(key.type, type) else " or ".join(t.__name__ for t in key.type)
        raise SettingsError(f"{where}: expected {names}, got {value!r}")
    if key.choices and value not in key.choices:
        raise SettingsError(f"{where}: {value!r} is not allowed; choose one of {list(key.choices)}")
    if key.minimum is not None and value < key.minimum:
        raise SettingsError(f"{where}: {value} is below the minimum {key.minimum}. {key.note}".strip())
    if key.maximum is not None and value > key.maximum:
        raise SettingsError(f"{where}: {value} is above the maximum {key.maximum}. {key.note}".strip())


def resolve_settings(raw: dict[str, Any], contract_year: int) -> dict[str, dict[str, Any]]:
    """Defaults + the file's values, checked; CY-dependent CMS limits applied; thresholds filled in."""
    resolved: dict[str, dict[str, Any]] = {s: {k: key.default for k, key in keys.items()} for s, keys in SCHEMA.items()}
    for section, values in raw.items():
        if section not in SCHEMA:
            raise SettingsError(f"unknown settings section [{section}]; known: {', '.join(SCHEMA)}")
        if not isinstance(values, dict):
            raise SettingsError(f"[{section}] must be a table of keys")
        for name, value in values.items():
            if name not in SCHEMA[section]:
                raise SettingsError(f"unknown key [{section}] {name}; known: {', '.join(SCHEMA[section])}")
            _check_key(section, name, SCHEMA[section][name], value)
            resolved[section][name] = value
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
    if threshold is None:
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


def run_parameters_row(settings: dict[str, dict[str, Any]], as_of, member_status_delivered: bool) -> dict:
    """The one-row ``run_parameters`` table the SQL models read."""
    c, w = settings["criteria"], settings["windows"]
    return {
        "as_of_date": as_of,
        "contract_year": as_of.year,
        "min_core_conditions": c["min_core_conditions"],
        "min_part_d_drugs": c["min_part_d_drugs"],
        "drug_count_scope": c["drug_count_scope"],
        "cost_method": c["cost_method"],
        "cost_threshold": round(float(c["cost_threshold"]), 2),
        "core_disease_set": c["core_disease_set"],
        "core_disease_count": c["core_disease_count"],
        "use_dx_evidence": "dx" in c["condition_sources"],
        "use_rx_evidence": "rx" in c["condition_sources"],
        "drug_lookback_days": w["drug_lookback_days"],
        "cost_lookback_days": w["cost_lookback_days"],
        "dx_lookback_days": w["dx_lookback_days"],
        "rx_condition_lookback_days": w["rx_condition_lookback_days"],
        "rollover_enrollees": settings["enrollment"]["rollover_enrollees"],
        "outreach_include_hospice": settings["outreach"]["outreach_include_hospice"],
        "priority_urgency": float(settings["priority"]["urgency"]),
        "priority_risk_signals": float(settings["priority"]["risk_signals"]),
        "priority_core_conditions": float(settings["priority"]["core_conditions"]),
        "priority_part_d_drugs": float(settings["priority"]["part_d_drugs"]),
        "priority_projected_cost": float(settings["priority"]["projected_cost"]),
        "member_status_delivered": member_status_delivered,
    }
