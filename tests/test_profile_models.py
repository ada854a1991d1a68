"""tools/profile_models.py: the per-model profile BENCHMARKS.md quotes, run on a real warehouse."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tools.profile_models import profile


def test_profiles_a_layer_in_place_without_changing_its_tables(schema_warehouse, tmp_path, capsys):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(schema_warehouse, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("SELECT * FROM core_fill ORDER BY claim_id").fetchall()

    results = profile(warehouse, ["core", "tgt_member_criteria"], top=2)

    layers = {r["layer"] for r in results}
    assert layers == {"core", "targeting"} and "core_fill" in {r["model"] for r in results}
    fill = next(r for r in results if r["model"] == "core_fill")
    assert fill["rows"] == len(before) > 0
    assert fill["operators"] and all(seconds >= 0 for _, seconds, _ in fill["operators"])
    assert "core_fill" in capsys.readouterr().out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT * FROM core_fill ORDER BY claim_id").fetchall() == before


def test_an_unknown_model_is_named(schema_warehouse, tmp_path):
    with pytest.raises(SystemExit, match="not a model or layer: core_fil"):
        profile(schema_warehouse, ["core_fil"], top=1)
