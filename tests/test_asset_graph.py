"""The asset graph is the SQL: one asset per model file with exactly the tables its SQL reads, no unknown
table, data flowing one way through the layers, and the whole graph equal to its committed snapshot."""

from __future__ import annotations

import re
import shutil

import pytest
from dagster import AssetKey

from dagster_project.defs.assets import known_tables, validate_graph
from pipelines.engine import models, package_files
from pipelines.engine.models import LAYERS, catalog

DAGSTER_KINDS_TAG = "dagster/kind/duckdb"


@pytest.fixture(scope="module")
def asset_graph():
    from dagster_project.definitions import defs

    return defs.get_repository_def().asset_graph


def test_every_sql_model_is_one_asset_with_the_tables_its_sql_reads(asset_graph):
    keys = {k.to_user_string() for k in asset_graph.get_all_asset_keys()}
    assert catalog(), "no SQL models found"
    for name, model in catalog().items():
        assert name in keys, f"{model.path} has no asset"
        node = asset_graph.get(AssetKey(name))
        assert {p.to_user_string() for p in node.parent_keys} == set(model.reads), name
        assert node.group_name == model.layer
        assert DAGSTER_KINDS_TAG in node.tags


def _words(sql: str) -> set[str]:
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return set(re.findall(r"[a-z_][a-z0-9_]*", without_comments.lower()))


def test_parsed_reads_agree_with_a_word_scan_of_each_model():
    """An independent reading: every known table named in a model's SQL is among its parsed reads, and every
    parsed read is named in the SQL or in a table macro it calls."""
    known = known_tables()
    macro_reads = {name: m.reads for name, m in models.macros().items()}
    for name, model in catalog().items():
        named = _words(model.sql) & known - {name}
        via_macros = set().union(*(reads for macro, reads in macro_reads.items() if macro in _words(model.sql)))
        assert named <= model.reads, (name, named - model.reads)
        assert model.reads <= named | via_macros, (name, model.reads - named - via_macros)


def test_table_macro_arguments_and_pivots_are_read():
    m = catalog()
    assert m["stg_pharmacy_claim"].reads == {"raw_pharmacy_claim", "row_rejects", "run_parameters"}
    assert m["core_member_condition"].reads == {"core_member", "ref_core_disease", "core_condition_evidence"}
    assert "grid" not in m["core_member_condition"].reads  # a CTE is not a table


@pytest.fixture
def sql_copy(tmp_path, monkeypatch):
    """A copy of sql/ the test may break; the catalog reads it instead of the real one."""
    copy = tmp_path / "sql"
    shutil.copytree(package_files.sql_dir(), copy)
    for cached in (package_files.sql_dir, models.catalog, models.macros, models.declared):
        cached.cache_clear()
    monkeypatch.setattr(package_files, "sql_dir", lambda: copy)
    monkeypatch.setattr(models, "sql_dir", lambda: copy)
    yield copy
    for cached in (models.catalog, models.macros, models.declared):
        cached.cache_clear()


def test_a_model_reading_an_unknown_table_stops_the_definitions(sql_copy):
    (sql_copy / "core" / "core_typo.sql").write_text("SELECT member_id FROM core_membr\n")
    with pytest.raises(ValueError, match=r"core_typo.sql reads core_membr, which no model"):
        validate_graph()


def test_a_model_reading_a_later_layer_stops_the_definitions(sql_copy):
    (sql_copy / "staging" / "stg_backwards.sql").write_text("SELECT member_id FROM member_summary\n")
    with pytest.raises(ValueError, match=r"stg_backwards.sql \(staging\) reads member_summary of the later layer"):
        validate_graph()


def test_layers_are_the_folders():
    assert {m.layer for m in catalog().values()} <= set(LAYERS)
    for model in catalog().values():
        assert model.path.parent.name == model.layer and model.path.stem == model.name


def test_graph_snapshot_is_exact():
    """Any change to assets, dependencies, checks, jobs, schedules or sensors shows here; refresh the snapshot
    with `python tools/asset_graph.py > tests/snapshots/asset_graph.txt` when the change is intended."""
    from pathlib import Path

    from tools.asset_graph import graph_lines

    snapshot = Path(__file__).parent / "snapshots" / "asset_graph.txt"
    assert graph_lines() == snapshot.read_text().splitlines()
