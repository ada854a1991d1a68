"""Where the shipped reference files live, and their versions for the run manifest.

A run records which reference data it used (file name -> short sha256), so an answer can be traced
back to the exact drug reference and code sets that produced it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

#: the files a run depends on (PROVENANCE.md describes each)
VERSIONED_FILES = (
    "drug_reference.csv",
    "ndc_map.csv",
    "fda_ndc_map.parquet",
    "weight_management_products.csv",
    "dose_form_words.csv",
    "route_map.csv",
    "salt_words.csv",
    "name_aliases.csv",
    "drug_condition_rules.csv",
    "core_condition_icd10.csv",
    "core_condition_icd9.csv",
    "cms_mtm_parameters.csv",
    "drug_interactions.csv",
    "interaction_conditions.csv",
    "risk_signal_rules.csv",
    "risk_signal_drugs.csv",
    "duplicate_therapy_classes.csv",
    "icd10cm_codes.csv.gz",
    "icd10cm_code_years.csv.gz",
    "icd9cm_codes.csv.gz",
)


def data_path(name: str) -> Path:
    return DATA_DIR / name


@cache
def _sha_short(path: Path, mtime_ns: int) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest[:12]


def reference_versions() -> dict[str, str]:
    """File name -> first 12 hex digits of its sha256, for every shipped reference file."""
    out: dict[str, str] = {}
    for name in VERSIONED_FILES:
        path = data_path(name)
        if path.exists():
            out[name] = _sha_short(path, path.stat().st_mtime_ns)
    return out
