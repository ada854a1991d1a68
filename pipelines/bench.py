"""`make bench`: the pipeline at population scale against a scan baseline.

For each size (members) and format it generates an extract once (cached under ``.bench/data``), then in
fresh processes: (1) the **scan baseline** — DuckDB reading every input column of every file once, the
floor no pipeline can beat — and (2) the **full pipeline** (`mtm run`: ingest -> published run, the real
Dagster materialisation). Wall time, CPU time and peak RSS come from the child's rusage; per-step times
from its run_manifest.json. Results print as a table and are appended to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT / ".bench"
AS_OF = "2025-09-30"
SEED = 2025

SCAN_SCRIPT = r"""
import sys, duckdb
from pathlib import Path
con = duckdb.connect()
for path in sorted(Path(sys.argv[1]).iterdir()):
    name = path.name
    if name.endswith(".parquet"):
        rel = f"read_parquet('{path}')"
    elif name.endswith(".csv") or name.endswith(".csv.gz"):
        rel = f"read_csv('{path}', header=true, all_varchar=true)"
    else:
        continue
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
    aggs = ", ".join(f'count("{c}")' for c in cols)
    con.execute(f"SELECT count(*), {aggs} FROM {rel}").fetchall()
"""


def extract_for(members: int, fmt: str) -> Path:
    folder = BENCH_DIR / "data" / f"{members}-{fmt}"
    if (folder / "extract.toml").exists():
        return folder
    from pipelines.synth import generate

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    generate(members=members, seed=SEED, out_dir=tmp, as_of=dt.date.fromisoformat(AS_OF), fmt=fmt)
    print(f"  generated {members:,} members ({fmt}) in {time.perf_counter() - started:.1f} s", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run a child process; wall, CPU (user+sys) and peak RSS from its own rusage."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=PROJECT)
    assert proc.stdout is not None  # stdout=PIPE
    output = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "output": output}


def bench_one(members: int, fmt: str) -> dict:
    extract = extract_for(members, fmt)
    input_mb = sum(p.stat().st_size for p in extract.iterdir()) / 1e6
    scan = measure([sys.executable, "-c", SCAN_SCRIPT, str(extract)])
    home = BENCH_DIR / "homes" / f"{members}-{fmt}"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}
    run = measure([str(Path(sys.executable).parent / "mtm"), "run", "--extract", str(extract),
                   "--as-of", AS_OF, "--home", str(home)], env=env)
    manifest = json.loads((home / "runs" / AS_OF / "run_manifest.json").read_text())
    fills = manifest["rows_in"].get("pharmacy_claim", 0)
    shutil.rmtree(home, ignore_errors=True)
    return {
        "members": members, "format": fmt, "input_mb": round(input_mb, 1), "fill_rows": fills,
        "scan_wall_s": scan["wall_s"], "scan_rss_mb": scan["peak_rss_mb"],
        "run_wall_s": run["wall_s"], "run_cpu_s": run["cpu_s"], "run_rss_mb": run["peak_rss_mb"],
        "ratio_to_scan": round(run["wall_s"] / scan["wall_s"], 2) if scan["wall_s"] else None,
        "steps_s": manifest["timings_seconds"],
    }


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gb:.0f} GiB RAM, {platform.machine()}, Python {platform.python_version()}"


def table(results: list[dict]) -> str:
    head = ("| members | format | input MB | fill rows | scan s | run s | ratio | CPU s | peak RSS MB | "
            "slowest steps (s) |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
    lines = []
    for r in results:
        steps = sorted(r["steps_s"].items(), key=lambda kv: -(kv[1] or 0))[:3]
        lines.append(
            f"| {r['members']:,} | {r['format']} | {r['input_mb']} | {r['fill_rows']:,} | {r['scan_wall_s']} | "
            f"{r['run_wall_s']} | {r['ratio_to_scan']} | {r['run_cpu_s']} | {r['run_rss_mb']} | "
            + ", ".join(f"{k} {v}" for k, v in steps) + " |")
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated member counts (add 1000000)")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--label", default="", help="a note for this benchmark run (e.g. what changed)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    formats = [f for f in args.formats.split(",") if f]
    results = []
    for members in sizes:
        for fmt in formats:
            print(f"benchmark: {members:,} members, {fmt}", flush=True)
            results.append(bench_one(members, fmt))
            print(table(results[-1:]), flush=True)
    text = (f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} — {machine()}"
            + (f" — {args.label}" if args.label else "") + "\n\n" + table(results))
    if len(sizes) > 1:
        by = {(r["members"], r["format"]): r for r in results}
        for fmt in formats:
            small, big = by.get((sizes[-2], fmt)), by.get((sizes[-1], fmt))
            if small and big:
                text += (f"\nScaling {fmt}: {sizes[-1]:,} members took {big['run_wall_s'] / small['run_wall_s']:.1f}x "
                         f"the time of {sizes[-2]:,} ({sizes[-1] / sizes[-2]:.0f}x the members).\n")
    print(text)
    out = PROJECT / "BENCHMARKS.md"
    if not out.exists():
        out.write_text("# Benchmarks\n\nWritten by `make bench` (`python -m pipelines.bench`). Each section is one "
                       "benchmark run: scan baseline = DuckDB reading every input column once; run = `mtm run`, "
                       "ingest to published run, in a fresh process.\n")
    with out.open("a") as fh:
        fh.write(text)
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
