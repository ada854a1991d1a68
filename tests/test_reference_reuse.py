"""Reference models reused across runs (pipelines/engine/reuse.py): a reference table made of seeds and the
plan's NDC imports is kept while they are unchanged, and rebuilt as soon as its SQL, a seed or an import changes."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from pipelines.engine.models import build_model, catalog, install_macros
from pipelines.engine.reuse import reusable
from tests.template_home import seeded_home

NEW_NDC = "99990000199"  # in no shipped map


@pytest.fixture
def con(tmp_path):
    """A warehouse as a run finds it after an earlier run: the template's seeds and reference models."""
    connection = duckdb.connect(str(seeded_home(tmp_path / "home") / "warehouse.duckdb"))
    install_macros(connection)
    yield connection
    connection.close()


def build(con, name: str) -> dict:
    return build_model(con, catalog()[name])


def test_unchanged_inputs_keep_the_table(con):
    before = con.execute("SELECT count(*) FROM ref_ndc_identity").fetchone()
    info = build(con, "ref_ndc_identity")
    assert info["reused"] and (info["rows"],) == before


def test_an_imported_ndc_rebuilds_the_ndc_tables_once(con):
    con.execute("INSERT INTO ref_ndc_import VALUES (?, 'atorvastatin', NULL, NULL, NULL, 'plan', now())", [NEW_NDC])
    first = [build(con, name) for name in ("ref_ndc", "ref_ndc_identity")]
    assert [info.get("reused", False) for info in first] == [False, False]
    assert con.execute("SELECT drug_key FROM ref_ndc_identity WHERE ndc11 = ?", [NEW_NDC]).fetchall() \
        == [("atorvastatin",)]
    again = [build(con, name) for name in ("ref_ndc", "ref_ndc_identity")]
    assert [info.get("reused", False) for info in again] == [True, True]


def test_a_reloaded_seed_or_a_changed_sql_rebuilds(con):
    model = catalog()["ref_icd_valid"]
    assert build_model(con, model)["reused"]
    changed = dataclasses.replace(model, sql=model.sql + "\n-- a rule changed")
    assert not build_model(con, changed).get("reused")
    assert build_model(con, changed)["reused"]
    seed = sorted(t for t in model.reads if t.startswith("seed_"))[0]
    con.execute(f"COMMENT ON TABLE {seed} IS 'seed sha256:another file'")
    assert not build_model(con, changed).get("reused")


def test_models_reading_the_run_are_rebuilt_every_time():
    assert reusable("ref_ndc_identity", catalog()) and reusable("ref_icd_valid", catalog())
    assert not reusable("ref_drug", catalog())  # reads ref_generic_name, the generic names of the run's claims
    assert not any(reusable(name, catalog()) for name, model in catalog().items() if model.layer != "reference")
