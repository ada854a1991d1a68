"""The run_parameters table is made from its typed row (pipelines/run_state/run_parameters.py): the columns, their types
and the row's values as the SQL models read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

from pipelines.run_state.run_parameters import RunParameters, run_parameters_ddl
from pipelines.run_state.settings import resolve_settings


def test_the_table_has_one_typed_column_per_field_and_holds_the_row():
    settings = resolve_settings({"criteria": {"cost_threshold": 1234.567}}, 2025)
    row = RunParameters.of(settings, dt.date(2025, 9, 30), member_status_delivered=False).values()
    con = duckdb.connect()
    con.execute(run_parameters_ddl())
    con.execute(f"INSERT INTO run_parameters ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                list(row.values()))
    described = {name: (kind, null) for name, kind, null, *_ in con.execute("DESCRIBE run_parameters").fetchall()}
    assert list(described) == list(row)
    assert described["as_of_date"] == ("DATE", "NO")
    assert described["cost_threshold"] == ("DECIMAL(18,2)", "NO")
    assert described["priority_urgency"] == ("DOUBLE", "NO")
    assert described["use_dx_evidence"] == ("BOOLEAN", "NO")
    assert described["tmr_grace_days"] == ("INTEGER", "NO")
    assert described["as_known_at"] == ("TIMESTAMP", "YES")
    stored = con.execute("SELECT cost_threshold, contract_year, as_known_at FROM run_parameters").fetchone()
    assert stored == (Decimal("1234.57"), 2025, None)
