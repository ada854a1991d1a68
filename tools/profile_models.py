"""Profile SQL models on a warehouse a run has already built: where each model's time goes, operator by operator.

Usage: python tools/profile_models.py WAREHOUSE.duckdb [MODEL_OR_LAYER ...] [--top N]

Rebuilds each named model (or every model of a named layer, e.g. ``staging``; default: all models, in
dependency order) with DuckDB's JSON profiler on, and prints per model: wall seconds, the process's CPU
seconds, rows, and its costliest operators (operator time summed over threads, rows out). This is how the
"what dominates" tables of BENCHMARKS.md were measured, e.g. on a home kept by ``make bench`` with
``--keep-homes``::

    python tools/profile_models.py .bench/homes/1000000-parquet-this/warehouse.duckdb staging core_fill

The models are rebuilt **in place** from the same inputs, so their contents do not change, but the file is
written: use a bench home or a copy, never a plan's live home. No member data is printed (table and operator
names and counts only).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.engine.models import LAYERS, build_order, catalog, install_macros  # noqa: E402
from pipelines.run_state.run_context import duckdb_config  # noqa: E402


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _operators(node: dict) -> list[tuple[str, float, int]]:
    """(operator, seconds, rows out) of every operator under a JSON profile node."""
    found = []
    for child in node.get("children", []):
        name = child.get("operator_name") or child.get("operator_type") or "?"
        seconds = float(child.get("operator_timing", child.get("timing", 0.0)) or 0.0)
        rows = int(child.get("operator_cardinality", child.get("cardinality", 0)) or 0)
        found.append((name.strip(), seconds, rows))
        found.extend(_operators(child))
    return found


def profile(warehouse: Path, wanted: list[str], top: int, settings: dict[str, str] | None = None) -> list[dict]:
    models = catalog()
    names = {m for w in wanted for m in ([n for n, x in models.items() if x.layer == w] if w in LAYERS else [w])}
    unknown = names - set(models)
    if unknown:
        raise SystemExit(f"not a model or layer: {', '.join(sorted(unknown))} (layers: {', '.join(LAYERS)})")
    order = [m for m in build_order(models) if not names or m.name in names]
    con = duckdb.connect(str(warehouse), config=duckdb_config(warehouse.parent))
    install_macros(con)
    for name, value in (settings or {}).items():  # e.g. preserve_insertion_order=false, to try a setting
        con.execute(f"SET {name} = '{value}'")
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "profile.json"
        for model in order:
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = '{output}'")
            cpu, wall = _cpu_seconds(), time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE {model.name} AS\n{model.sql}")
            wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
            con.execute("PRAGMA disable_profiling")
            rows = con.execute(f"SELECT count(*) FROM {model.name}").fetchone()[0]
            operators = sorted(_operators(json.loads(output.read_text())), key=lambda o: -o[1])[:top]
            results.append({"model": model.name, "layer": model.layer, "wall_s": round(wall, 2),
                            "cpu_s": round(cpu, 2), "rows": rows, "operators": operators})
            ops = ", ".join(f"{name} {seconds:.1f} s ({out:,} rows)" for name, seconds, out in operators)
            print(f"{model.name:32} {model.layer:10} wall {wall:7.2f} s  CPU {cpu:7.2f} s  rows {rows:>12,}  {ops}",
                  flush=True)
    con.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("models", nargs="*", help="model names or layers (default: every model)")
    parser.add_argument("--top", type=int, default=3, help="operators listed per model")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a DuckDB setting for the rebuilds (repeatable)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        raise SystemExit(f"{args.warehouse}: no such warehouse")
    settings = dict(item.split("=", 1) for item in args.set)
    results = profile(args.warehouse, args.models, args.top, settings)
    total_wall = sum(r["wall_s"] for r in results)
    total_cpu = sum(r["cpu_s"] for r in results)
    print(f"{len(results)} models: wall {total_wall:.1f} s, CPU {total_cpu:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
