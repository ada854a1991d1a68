"""`MTM_THREADS`: how many threads the warehouse's DuckDB uses (every core unless set)."""

from __future__ import annotations

import os

import pytest

from pipelines.run_state.errors import SettingsError
from pipelines.run_state.run_context import RunContext


def test_mtm_threads_sets_the_warehouse_connections_threads_and_a_bad_value_is_named(tmp_path, monkeypatch):
    ctx = RunContext.create(home=tmp_path / "home")
    monkeypatch.setenv("MTM_THREADS", "1")
    with ctx.connect() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 1
    monkeypatch.delenv("MTM_THREADS")
    with ctx.connect() as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == os.cpu_count()
    monkeypatch.setenv("MTM_THREADS", "two")
    with pytest.raises(SettingsError, match="MTM_THREADS='two'"):
        ctx.connect()
