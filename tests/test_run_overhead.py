"""The fixed costs of a run (issue 19), behaviour only (speed is measured by `make bench`): the warehouse is
opened once per run and closed at its end, the start-up caches give what a fresh computation gives and
miss when their inputs change, Great Expectations runs in a worker whose result (or failure) reaches the
run, and the benchmark's progress and target table."""

from __future__ import annotations

import datetime as dt
import json
import sys

import duckdb
import pytest

from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, member, write_extract

AS_OF = dt.date(2025, 9, 30)


def _context(tmp_path, gx_rows: int = 0) -> RunContext:
    extract = write_extract(tmp_path / "extract", eligibility=[member("M1"), member("M2")],
                            pharmacy_claim=[fill("M1", "2025-09-01"), fill("M2", "2025-08-01")])
    settings = tmp_path / "settings.toml"
    settings.write_text(f"[validation]\ngx_sample_rows = {gx_rows}\n")
    return RunContext.create(home=tmp_path / "home", extract_dirs=[extract], as_of=AS_OF, settings_file=settings)


def test_a_run_opens_the_warehouse_once_and_closes_it_at_the_end(tmp_path, monkeypatch):
    import dagster_duckdb.resource

    from dagster_project.run import dagster_materialize as materialize

    opened = []
    real_connect = duckdb.connect

    def counting_connect(*args, **kwargs):
        opened.append(kwargs.get("database", args[0] if args else None))
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(dagster_duckdb.resource.duckdb, "connect", counting_connect)
    ctx = _context(tmp_path)
    result = materialize(ctx, targets=["stg_pharmacy_claim"])  # ingest, run parameters, the warehouse step
    steps = [e for e in result.all_events if e.event_type_value == "STEP_SUCCESS"]
    assert len(steps) >= 3
    assert "stg_pharmacy_claim" in {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
                                    if e.asset_key}
    assert opened == [str(ctx.warehouse_path)]
    # closed at the end of the run: another configuration (read-only) may open the file in this process
    with real_connect(str(ctx.warehouse_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM stg_pharmacy_claim").fetchone() == (2,)


def test_cached_text_computes_once_per_key_and_survives_an_unwritable_cache(tmp_path, monkeypatch):
    from pipelines.engine.cache import cached_text

    monkeypatch.setenv("MTM_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def compute(value: str):
        return lambda: calls.append(value) or value

    assert cached_text("thing", "key 1", compute("a")) == "a"
    assert cached_text("thing", "key 1", compute("b")) == "a"  # a hit: not recomputed
    assert cached_text("thing", "key 2", compute("c")) == "c"  # another key misses
    assert calls == ["a", "c"]
    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    monkeypatch.setenv("MTM_CACHE_DIR", str(tmp_path / "blocked"))
    assert cached_text("thing", "key 1", compute("d")) == "d"
    assert cached_text("thing", "key 1", compute("e")) == "e"  # nothing could be kept


def test_model_reads_from_the_cache_equal_a_fresh_parse_and_a_changed_model_misses(tmp_path, monkeypatch):
    from pipelines.engine import models

    monkeypatch.setenv("MTM_CACHE_DIR", str(tmp_path / "cache"))
    models.catalog.cache_clear()
    try:
        first = models.catalog()
        assert len(list((tmp_path / "cache").glob("model-reads-*"))) == 1
        models.catalog.cache_clear()
        again = models.catalog()
        fresh = models._parse_reads(models._model_files())
        assert {name: sorted(m.reads) for name, m in again.items()} == fresh
        assert again == first
        # a model whose SQL changes gets a new key (and a new parse)
        files = models._model_files()
        layer, path, sql = files[0]
        changed = [(layer, path, sql + "\nJOIN run_parameters ON true"), *files[1:]]
        monkeypatch.setattr(models, "_model_files", lambda: changed)
        models.catalog.cache_clear()
        assert "run_parameters" in models.catalog()[path.stem].reads
        assert len(list((tmp_path / "cache").glob("model-reads-*"))) == 2
    finally:
        models.catalog.cache_clear()


@pytest.mark.long
def test_great_expectations_worker_gives_what_validating_in_process_gives(tmp_path):
    """Two validations of the same sample (~10 s): `make test-long` (issue 24). `make test` keeps the worker in
    whole runs with Great Expectations on (`mtm run` in test_dagster_project, the analysts' Dagster view in
    test_orchestration: their results are read there), in-process validation in test_quality_gx, and a
    failing worker below."""
    from pipelines.ingest.contract import TABLES
    from pipelines.ingest.quality import results_to_dict, validate_tables
    from pipelines.ingest.quality.run import SAMPLES_DIR, finish_quality, start_quality
    from pipelines.ingest.readers import ingest_extract
    from pipelines.run_state import run_facts as run_report

    ctx = _context(tmp_path, gx_rows=1000)
    ctx.staging_dir.mkdir(parents=True)
    with ctx.connect() as con:
        report = ingest_extract(con, ctx.extract_dirs)
        run_report.record(con, ctx.run_id, "ingest", "absent_tables", report.absent_tables)
        start_quality(ctx, con)
        summary = finish_quality(ctx, con)
        assert run_report.facts(con, ctx.run_id)["expectations"] == summary
        assert finish_quality(ctx, con) == summary  # recorded once; a second call reads it back
        frames = {name: con.execute(f"SELECT {', '.join(c.name for c in TABLES[name].columns)} FROM raw_{name}").df()
                  for name in summary["tables"]}
    assert (ctx.staging_dir / "data_docs" / "index.html").exists()
    assert not (ctx.staging_dir / SAMPLES_DIR).exists()
    mostly = summary["tables"]["eligibility"]["mostly"]
    direct = results_to_dict(validate_tables(frames, tmp_path / "docs", mostly=mostly, run_name=AS_OF.isoformat()))
    assert set(summary["tables"]) == {"eligibility", "pharmacy_claim"}
    assert summary == json.loads(json.dumps(direct, default=str))


def test_a_failing_great_expectations_worker_fails_the_run_with_its_error(tmp_path):
    from pipelines.ingest.quality.run import SAMPLES_DIR, finish_quality
    from pipelines.ingest.quality.worker import main as worker

    ctx = _context(tmp_path, gx_rows=1000)
    samples = ctx.staging_dir / SAMPLES_DIR
    samples.mkdir(parents=True)
    (samples / "00-eligibility.parquet").write_text("not a parquet file")
    assert worker(ctx.staging_dir, 0.95, AS_OF.isoformat()) == 1
    with ctx.connect() as con, pytest.raises(RuntimeError, match="Great Expectations failed on the input sample"):
        finish_quality(ctx, con)


def test_bench_reports_each_step_as_it_finishes_and_checks_the_targets(capsys):
    from mtm import bench

    seen = []
    child = ("import sys\nfor i in range(3): print(f'mtm-progress step_{i} 0.{i}', flush=True)\n"
             "print('done')")
    result = bench.measure([sys.executable, "-c", child], on_line=seen.append)
    assert seen == ["step_0 0.0", "step_1 0.1", "step_2 0.2"]
    assert result["output"] == "done\n"
    progress = bench.Progress("30,000 csv after")  # pytest's stdout is not a terminal: plain lines
    progress.step("core_fill", "1.5")
    assert "step   1 core_fill 1.5 s" in capsys.readouterr().out
    row = {"members": 30_000, "format": "csv.gz", "run_wall_s": 7.5, "run_cpu_s": 9.0, "run_rss_mb": 900.0}
    text = bench.summary([{**row, "variant": "before", "run_wall_s": 36.0}, {**row, "variant": "after"}])
    assert "| 30,000 | csv.gz | 36.0 (9.0, 900) | 7.5 (9.0, 900) | <= 8 s | not met | met |" in text


def test_bench_counts_the_cpu_and_memory_of_a_grandchild_nobody_waits_for(tmp_path):
    """pyspark's JVM is started by `mtm run` and never waited for: rusage alone would leave it out."""
    from mtm import bench

    # busy for 1.5 s of its own CPU (not of the clock: a loaded machine gives it less than a core), then it says
    # so and idles; the child waits for the word, not for the grandchild, and lets the sampler (every 0.5 s) see
    # the grandchild's last CPU before it exits
    marker = tmp_path / "busy-done"
    busy = (f"x = bytearray(200 * 2**20)\nimport pathlib, time\nwhile time.process_time() < 1.5: pass\n"
            f"pathlib.Path({str(marker)!r}).touch()\ntime.sleep(3)")
    child = (f"import os, pathlib, subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {busy!r}])\n"
             f"while not pathlib.Path({str(marker)!r}).exists(): time.sleep(0.05)\n"
             "time.sleep(1.2)\nos._exit(0)")
    result = bench.measure([sys.executable, "-c", child])
    assert result["cpu_s"] >= 1.0  # the child itself sleeps: the busy second and a half is the grandchild's
    assert result["peak_rss_mb"] >= 200


@pytest.mark.parametrize("fmt", ["csv.gz", "parquet"])
def test_bench_delivery_is_the_as_of_days_rows_and_the_base_the_rest(tmp_path, monkeypatch, fmt):
    from mtm import bench

    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path)
    base, day = bench.delivery_split(40, fmt)
    full = tmp_path / "data" / f"40-{fmt}"
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    with duckdb.connect() as con:
        def rows(path, where="true"):
            return con.execute(f"SELECT count(*) FROM {reader}('{path}') WHERE {where}").fetchone()[0]

        for path in full.glob("*.*"):
            if path.suffix == ".toml":
                continue
            delivered = rows(day / path.name) if (day / path.name).exists() else 0
            assert rows(base / path.name) + delivered == rows(path), path.name
        claims = day / f"pharmacy_claim.{fmt}"
        assert rows(claims) > 0
        assert rows(claims, f"CAST(processed_at AS DATE) < DATE '{bench.AS_OF}'") == 0
        assert rows(base / claims.name, f"CAST(processed_at AS DATE) >= DATE '{bench.AS_OF}'") == 0
        assert not (day / f"eligibility.{fmt}").exists()


def test_an_unchanged_seed_is_not_reloaded_and_a_changed_file_is(tmp_path):
    from pipelines.engine.seeds import Seed, load_seed

    source = tmp_path / "route_map.csv"
    source.write_text("route,code\noral,PO\n")
    seed = Seed("seed_route_map", source)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))

    def oid():
        return con.execute("SELECT table_oid FROM duckdb_tables() WHERE table_name = 'seed_route_map'").fetchone()

    assert load_seed(con, seed) == 1
    first = oid()
    assert load_seed(con, seed) == 1
    assert oid() == first  # same file: the table was kept
    source.write_text("route,code\noral,PO\ntopical,TOP\n")
    assert load_seed(con, seed) == 2
    assert oid() != first
    assert con.execute("SELECT code FROM seed_route_map ORDER BY 1").fetchall() == [("PO",), ("TOP",)]
