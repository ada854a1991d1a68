"""`make bench`: the pipeline at population scale against a scan baseline.

For each size (members) and format it generates an extract once (cached under ``.bench/data``; format
``csv.gz`` is the CSV extract gzipped, as plans deliver it), then in fresh processes: (1) the **scan
baseline** — DuckDB reading every input column of every file once, the floor no pipeline can beat — and
(2) the **full pipeline** (`mtm run`: ingest -> published run, the real Dagster materialisation). Wall
time, CPU time and peak RSS come from the child's rusage and, for processes the child does not wait for (the
JVM of `--engine spark`), from sampling its process tree twice a second (``ProcessTree``): CPU is the larger of
the two, peak RSS the larger of the child's own peak and the tree's summed RSS; per-step times from its
run_manifest.json, and
"outside steps" is the wall time no step accounts for (start-up, imports, Dagster's own work, publishing).

``--before DIR`` also runs the pipeline of another source tree (e.g. ``git archive main | tar -x -C DIR``)
on the same extract, alternating with this one, so that a before/after pair is measured in the same
minutes of a shared machine. The machine's load average is recorded around every run: figures taken
under load are inflated, and only pairs taken side by side compare.

Progress is live: a status line (rich) on a terminal, one plain line per finished step otherwise. Results
print as tables and are appended to docs/benchmarks/raw.md, with the issue's targets (``TARGETS``) checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pipelines import PROJECT_DIR

PROJECT = PROJECT_DIR
BENCH_DIR = PROJECT / ".bench"
AS_OF = "2025-09-30"
SEED = 2025
FORMATS = ("parquet", "csv", "csv.gz")
#: the line a child `mtm run` prints per finished step when MTM_PROGRESS is set (pipelines.run_state.run_facts)
PROGRESS_PREFIX = "mtm-progress "

#: issue 19's targets: (members, format or None for any) -> the limits a run must meet
TARGETS: dict[tuple[int, str | None], dict[str, float]] = {
    (30_000, None): {"wall_s": 8.0},
    (1_000_000, "csv"): {"wall_s": 120.0, "rss_mb": 6144.0},
    (1_000_000, "csv.gz"): {"wall_s": 120.0, "rss_mb": 6144.0},
    (1_000_000, "parquet"): {"wall_s": 90.0, "rss_mb": 6144.0},
}
#: keep each run's home (warehouse, published run) under .bench/homes for profiling models afterwards
KEEP_HOMES = False
#: the Spark master of `--engine spark` (issue 31); empty = DuckDB only
SPARK_MASTER = ""
#: issue 19's target for a daily delivery (`mtm run --delivery`) on top of a warehouse of this many members
DELIVERY_TARGETS: dict[int, float] = {1_000_000: 30.0}

#: what a daily delivery holds: per file, the rows that arrived on the as-of date or later (a generated extract
#: also holds versions processed after it: a reversal weeks after the fill); everything else is the base, all
#: known the day before
DELIVERED_ON_DAY = {
    "pharmacy_claim": "TRY_CAST(processed_at AS DATE) >= DATE '{day}'",
    "medical_claim": "TRY_CAST(processed_at AS DATE) >= DATE '{day}'",
    "mtm_event": "TRY_CAST(event_date AS DATE) >= DATE '{day}'",
    "member_status": "TRY_CAST(status_start_date AS DATE) >= DATE '{day}'",
}

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

#: run the `mtm` command line of whichever source tree is first on PYTHONPATH
RUN_SCRIPT = "import sys; from mtm.cli import main; sys.exit(main())"


def extract_for(members: int, fmt: str) -> Path:
    folder = BENCH_DIR / "data" / f"{members}-{fmt}"
    if (folder / "extract.toml").exists():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    started = time.perf_counter()
    if fmt == "csv.gz":
        tmp.mkdir(parents=True)
        for path in sorted(extract_for(members, "csv").iterdir()):
            if path.suffix == ".csv":
                with path.open("rb") as src, gzip.open(tmp / f"{path.name}.gz", "wb", compresslevel=6) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            else:
                shutil.copy(path, tmp / path.name)
    else:
        from pipelines.synth import generate

        generate(members=members, seed=SEED, out_dir=tmp, as_of=dt.date.fromisoformat(AS_OF), fmt=fmt)
    print(f"  prepared {members:,} members ({fmt}) in {time.perf_counter() - started:.1f} s", flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def delivery_split(members: int, fmt: str) -> tuple[Path, Path]:
    """The cached extract cut in two: ``base`` (known the day before the as-of date) and ``day`` (the rows processed
    on the as-of date or after: new fills, later versions and reversals, that day's events and status changes). Reading
    both in full is reading the whole extract; rows keep their file order."""
    import duckdb

    folder = BENCH_DIR / "data" / f"{members}-{fmt}-delivery"
    if (folder / "base").exists() and (folder / "day").exists():
        return folder / "base", folder / "day"
    extract = extract_for(members, fmt)
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "base").mkdir(parents=True)
    (tmp / "day").mkdir()
    con = duckdb.connect()
    for path in sorted(extract.iterdir()):
        table = path.name.split(".")[0]
        if path.suffix == ".toml":
            continue
        reader = (f"read_parquet('{path}')" if fmt == "parquet"
                  else f"read_csv('{path}', header=true, all_varchar=true)")
        options = {"parquet": "FORMAT parquet", "csv": "HEADER, QUOTE '\"'",
                   "csv.gz": "HEADER, QUOTE '\"', COMPRESSION gzip"}[fmt]
        rule = DELIVERED_ON_DAY.get(table, "false").format(day=AS_OF)
        for part, keep in (("base", f"NOT coalesce({rule}, false)"), ("day", f"coalesce({rule}, false)")):
            if part == "day" and table not in DELIVERED_ON_DAY:
                continue
            con.execute(f"COPY (SELECT * FROM {reader} WHERE {keep}) TO '{tmp / part / path.name}' ({options})")
    con.close()
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder / "base", folder / "day"


class Progress:
    """Live progress of a child run: a rich status line on a terminal, else one plain line per step."""

    def __init__(self, title: str):
        self.title, self.steps, self.started = title, 0, time.perf_counter()
        self.live = None
        if sys.stdout.isatty():
            try:
                from rich.console import Console
                from rich.status import Status

                self.live = Status(f"{title}: starting", console=Console())
                self.live.start()
            except ImportError:  # rich comes with dagster; without it, plain lines
                self.live = None
        else:
            print(f"  {title}: started", flush=True)

    def step(self, name: str, seconds: str) -> None:
        self.steps += 1
        elapsed = time.perf_counter() - self.started
        if self.live is not None:
            self.live.update(f"{self.title}: {self.steps} steps, {elapsed:.1f} s — last {name} {seconds} s")
        else:
            print(f"  {self.title}: [{elapsed:6.1f} s] step {self.steps:3d} {name} {seconds} s", flush=True)

    def done(self, wall: float) -> None:
        if self.live is not None:
            self.live.stop()
        print(f"  {self.title}: finished in {wall:.1f} s ({self.steps} steps reported)", flush=True)


class ProcessTree:
    """Samples a process and all its descendants from /proc: summed RSS (peak) and CPU seconds per process (the
    latest reading of each). rusage misses a grandchild its parent never waits for — pyspark's JVM, which holds
    the Spark engine's memory and does its work — so its CPU and memory would be left out of a Spark run."""

    TICK = os.sysconf("SC_CLK_TCK")
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def __init__(self, root: int):
        self.root = root
        self.cpu: dict[int, float] = {}
        self.peak_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _stat(pid: str) -> tuple[int, float, int] | None:
        """(parent pid, CPU s, RSS pages) of one process, or None if it is gone."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / ProcessTree.TICK, int(fields[21])

    def sample(self) -> None:
        stats = {int(p): st for p in os.listdir("/proc") if p.isdigit() and (st := self._stat(p))}
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in stats.items():
            children.setdefault(parent, []).append(pid)
        tree, frontier = {self.root}, [self.root]
        while frontier:
            kids = children.get(frontier.pop(), [])
            tree.update(kids)
            frontier.extend(kids)
        rss = sum(stats[pid][2] for pid in tree if pid in stats) * self.PAGE / 2**20
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        for pid in tree:
            if pid in stats:
                self.cpu[pid] = stats[pid][1]

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def __enter__(self) -> ProcessTree:
        if Path("/proc").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values())


def measure(cmd: list[str], env: dict | None = None, cwd: Path = PROJECT,
            on_line: Callable[[str], None] | None = None) -> dict:
    """Run a child process; wall, CPU (user+sys) and peak RSS from its own rusage; load average around it."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    assert proc.stdout is not None  # stdout=PIPE
    lines = []
    with ProcessTree(proc.pid) as tree:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if line.startswith(PROGRESS_PREFIX):
                if on_line:
                    on_line(line[len(PROGRESS_PREFIX):].strip())
                continue
            lines.append(line)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    output = "".join(lines)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    cpu = max(usage.ru_utime + usage.ru_stime, tree.cpu_s)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "peak_rss_mb": round(max(usage.ru_maxrss / 1024, tree.peak_rss_mb), 1), "output": output,
            "load": [round(load_before, 1), round(os.getloadavg()[0], 1)]}


def step_layers() -> dict[str, str]:
    """Step (asset) name -> layer, from this tree's declarations; for the per-layer columns."""
    from pipelines.engine.models import catalog
    from pipelines.engine.seeds import seeds
    from pipelines.engine.steps import STEPS
    from pipelines.publishing.exports.files import EXPORTS

    layers = {name: "reference" for name in seeds()}
    layers.update({step.name: step.layer for step in STEPS})
    layers.update({model.name: model.layer for model in catalog().values()})
    layers.update({export.asset: "outputs" for export in EXPORTS})
    layers["published_run"] = "outputs"
    return layers


LAYERS = ("ingest", "reference", "staging", "core", "targeting", "measures", "outputs")


def by_layer(steps: dict[str, float], layers: dict[str, str]) -> dict[str, float]:
    sums = dict.fromkeys(LAYERS, 0.0)
    for name, seconds in steps.items():
        layer = layers.get(name, "outputs" if name.startswith("export_") else "other")
        sums[layer] = sums.get(layer, 0.0) + (seconds or 0.0)
    return {k: round(v, 2) for k, v in sums.items() if v}


def mtm_run(home: Path, tree: Path, title: str, *args: str, as_of: str = AS_OF) -> tuple[dict, dict]:
    """One `mtm run` of ``tree`` into ``home`` in a fresh process, with live progress: its measurement and the
    published run's manifest."""
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1",
           "MTM_PROGRESS": "1", "PYTHONPATH": str(tree)}
    progress = Progress(title)
    run = measure([sys.executable, "-c", RUN_SCRIPT, "run", *args, "--as-of", as_of, "--home", str(home)],
                  env=env, cwd=tree, on_line=lambda line: progress.step(*(line.split(" ", 1) + [""])[:2]))
    progress.done(run["wall_s"])
    return run, json.loads((home / "runs" / as_of / "run_manifest.json").read_text())


def run_figures(run: dict, manifest: dict) -> dict:
    steps = manifest["timings_seconds"]
    return {"run_wall_s": run["wall_s"], "run_cpu_s": run["cpu_s"], "run_rss_mb": run["peak_rss_mb"],
            "load": run["load"], "steps_s": steps,
            "outside_steps_s": round(run["wall_s"] - sum(v or 0 for v in steps.values()), 2)}


def run_once(extract: Path, members: int, fmt: str, variant: str, tree: Path, *engine: str) -> dict:
    home = BENCH_DIR / "homes" / f"{members}-{fmt}-{variant.replace(' ', '-')}"
    shutil.rmtree(home, ignore_errors=True)
    run, manifest = mtm_run(home, tree, f"{members:,} {fmt} {variant}", "--extract", str(extract.resolve()), *engine)
    if not KEEP_HOMES:
        shutil.rmtree(home, ignore_errors=True)
    return {"variant": variant, "tree": str(tree), "commit": commit_of(tree),
            "fill_rows": manifest["rows_in"].get("pharmacy_claim", 0), **run_figures(run, manifest)}


def bench_delivery(members: int, fmt: str, variant: str, tree: Path) -> dict:
    """A daily delivery on top of a warehouse: the base (everything known the day before) is read in full into a
    home, then `mtm run --delivery` adds the as-of day's rows; the second run is the one measured."""
    base, day = delivery_split(members, fmt)
    home = BENCH_DIR / "homes" / f"{members}-{fmt}-{variant}-delivery"
    shutil.rmtree(home, ignore_errors=True)
    day_before = (dt.date.fromisoformat(AS_OF) - dt.timedelta(days=1)).isoformat()
    base_run, _ = mtm_run(home, tree, f"{members:,} {fmt} {variant} base", "--extract", str(base.resolve()),
                          as_of=day_before)
    run, manifest = mtm_run(home, tree, f"{members:,} {fmt} {variant} delivery", "--delivery", str(day.resolve()))
    shutil.rmtree(home, ignore_errors=True)
    delivered = sum(_rows(path) for path in day.iterdir())
    return {"members": members, "format": fmt, "variant": variant, "commit": commit_of(tree),
            "base_wall_s": base_run["wall_s"], "delivered_rows": delivered, **run_figures(run, manifest)}


def _rows(path: Path) -> int:
    import duckdb

    from pipelines.engine.db import scalar

    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    with duckdb.connect() as con:
        return int(scalar(con, f"SELECT count(*) FROM {reader}('{path}')"))


def delivery_table(results: list[dict]) -> str:
    layers = step_layers()
    head = ("| members | format | variant | commit | base run s | delivered rows | delivery run s | CPU s | "
            "peak RSS MB | load (1 min) | per layer (s) | outside steps s | slowest steps (s) | target |\n"
            "|---:|---|---|---|---:|---:|---:|---:|---:|---|---|---:|---|---|\n")
    lines = []
    for r in results:
        target = DELIVERY_TARGETS.get(r["members"])
        verdict_text = (f"<= {target:g} s: {'met' if r['run_wall_s'] <= target else 'not met'}" if target else "—")
        lines.append(
            f"| {r['members']:,} | {r['format']} | {r['variant']} | {r['commit']} | {r['base_wall_s']} "
            f"| {r['delivered_rows']:,} | {_run_cells(r, layers)} | {verdict_text} |")
    return head + "\n".join(lines) + "\n"


def _run_cells(r: dict, layers: dict[str, str]) -> str:
    """The cells every results table shares: run s, CPU s, peak RSS, load, per layer, outside steps, slowest."""
    steps = sorted(r["steps_s"].items(), key=lambda kv: -(kv[1] or 0))[:3]
    layer_text = ", ".join(f"{k} {v}" for k, v in by_layer(r["steps_s"], layers).items())
    return (f"{r['run_wall_s']} | {r['run_cpu_s']} | {r['run_rss_mb']} | {r['load'][0]} -> {r['load'][1]} "
            f"| {layer_text} | {r['outside_steps_s']} | " + ", ".join(f"{k} {v}" for k, v in steps))


def bench_one(members: int, fmt: str, trees: dict[str, Path]) -> list[dict]:
    extract = extract_for(members, fmt)
    input_mb = sum(p.stat().st_size for p in extract.iterdir()) / 1e6
    scan = measure([sys.executable, "-c", SCAN_SCRIPT, str(extract)])
    print(f"  scan baseline: {scan['wall_s']} s (load {scan['load'][0]})", flush=True)
    common = {"members": members, "format": fmt, "input_mb": round(input_mb, 1),
              "scan_wall_s": scan["wall_s"], "scan_rss_mb": scan["peak_rss_mb"]}
    results = []
    for variant, tree in trees.items():
        runs: list[tuple[str, tuple[str, ...]]] = [(variant, ())]
        if SPARK_MASTER:  # the same tree and extract with the SQL models on Spark (issue 31)
            runs.append((f"{variant} spark", ("--engine", "spark", "--spark-master", SPARK_MASTER)))
        for label, engine in runs:
            result = {**common, **run_once(extract, members, fmt, label, tree, *engine)}
            result["ratio_to_scan"] = round(result["run_wall_s"] / scan["wall_s"], 2) if scan["wall_s"] else None
            results.append(result)
            # printed as soon as each run ends: a long benchmark stopped later keeps what it measured
            print(f"  {label}: {result['run_wall_s']} s wall, {result['run_cpu_s']} CPU-s, "
                  f"{result['run_rss_mb']} MB peak RSS", flush=True)
    return results


def commit_of(tree: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        marker = tree / ".bench-commit"  # an exported tree (git archive) says where it came from
        return marker.read_text().strip() if marker.exists() else "unknown"


def cpu_model() -> str:
    """The processor's name and clock: machines of one kind differ between sessions (seen: the same 1M run
    1.8x slower on another host), so only runs on the same processor, side by side, compare."""
    try:
        info = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or "unknown CPU"
    value = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in info if ":" in line}
    mhz = value.get("cpu MHz")
    return value.get("model name", "unknown CPU") + (f" {float(mhz):.0f} MHz" if mhz else "")


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu_model()}), {mem_gb:.0f} GiB RAM, {platform.machine()}, "
            f"Python {platform.python_version()}")


def table(results: list[dict]) -> str:
    layers = step_layers()
    head = ("| members | format | variant | commit | input MB | fill rows | scan s | run s | CPU s | peak RSS MB | "
            "load (1 min) | per layer (s) | outside steps s | slowest steps (s) |\n"
            "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|\n")
    lines = []
    for r in results:
        lines.append(
            f"| {r['members']:,} | {r['format']} | {r.get('variant', '')} | {r.get('commit', '')} | {r['input_mb']} "
            f"| {r['fill_rows']:,} | {r['scan_wall_s']} | {_run_cells(r, layers)} |")
    return head + "\n".join(lines) + "\n"


def target_for(members: int, fmt: str) -> dict[str, float] | None:
    return TARGETS.get((members, fmt)) or TARGETS.get((members, None))


def verdict(result: dict, target: dict[str, float]) -> str:
    met = result["run_wall_s"] <= target["wall_s"] and result["run_rss_mb"] <= target.get("rss_mb", float("inf"))
    return "met" if met else "not met"


def summary(results: list[dict]) -> str:
    """Per size and format: each variant's wall time side by side, and the issue's target."""
    keys = list(dict.fromkeys((r["members"], r["format"]) for r in results))
    variants = list(dict.fromkeys(r["variant"] for r in results))
    head = ("| members | format | " + " | ".join(f"{v} s (CPU s, RSS MB)" for v in variants)
            + " | target | " + " | ".join(f"{v} vs target" for v in variants) + " |\n"
            + "|---:|---|" + "---:|" * len(variants) + "---|" + "---|" * len(variants) + "\n")
    lines = []
    for members, fmt in keys:
        row = {r["variant"]: r for r in results if (r["members"], r["format"]) == (members, fmt)}
        target = target_for(members, fmt)
        cells = [f"{row[v]['run_wall_s']} ({row[v]['run_cpu_s']}, {row[v]['run_rss_mb']:.0f})" if v in row else "—"
                 for v in variants]
        target_text = (f"<= {target['wall_s']:g} s" + (f", RSS <= {target['rss_mb'] / 1024:g} GB"
                                                        if "rss_mb" in target else "")) if target else "—"
        verdicts = [verdict(row[v], target) if target and v in row else "—" for v in variants]
        lines.append(f"| {members:,} | {fmt} | " + " | ".join(cells) + f" | {target_text} | "
                     + " | ".join(verdicts) + " |")
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated member counts (e.g. 30000, 1000000)")
    parser.add_argument("--formats", default="parquet,csv", help=f"comma-separated, of {', '.join(FORMATS)}")
    parser.add_argument("--label", default="", help="a note for this benchmark run (e.g. what changed)")
    parser.add_argument("--before", type=Path, default=None,
                        help="another source tree to run side by side with this one (labelled 'before')")
    parser.add_argument("--only-before", action="store_true", help="run only the --before tree")
    parser.add_argument("--delivery", action="store_true",
                        help="also measure a daily delivery (`mtm run --delivery`) on top of a warehouse of each size")
    parser.add_argument("--keep-homes", action="store_true",
                        help="keep each full run's home under .bench/homes (to profile its models afterwards)")
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: also run each size with `mtm run --engine spark`, beside DuckDB (issue 31)")
    parser.add_argument("--spark-master", default="local[2]", help="the Spark master of --engine spark")
    args = parser.parse_args(argv)
    global KEEP_HOMES, SPARK_MASTER
    KEEP_HOMES = args.keep_homes
    SPARK_MASTER = args.spark_master if args.engine == "spark" else ""
    sizes = [int(s) for s in args.sizes.split(",") if s]
    formats = [f for f in args.formats.split(",") if f]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    trees = {"before": args.before.resolve()} if args.before else {}
    if not args.only_before:
        trees["after" if args.before else "this"] = PROJECT
    results: list[dict] = []
    deliveries: list[dict] = []
    for members in sizes:
        for fmt in formats:
            print(f"benchmark: {members:,} members, {fmt}", flush=True)
            results.extend(bench_one(members, fmt, trees))
            print(table(results[-len(trees) * (2 if SPARK_MASTER else 1):]), flush=True)
            if args.delivery:
                deliveries.extend(bench_delivery(members, fmt, variant, tree) for variant, tree in trees.items())
                print(delivery_table(deliveries[-len(trees):]), flush=True)
    text = (f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} — {machine()}"
            + (f" — {args.label}" if args.label else "") + "\n\n" + table(results)
            + "\nAgainst the targets of issue 19:\n\n" + summary(results))
    if deliveries:
        text += "\nA daily delivery (`mtm run --delivery`, the as-of day's rows) on top of the day before:\n\n"
        text += delivery_table(deliveries)
    if len(sizes) > 1:
        by = {(r["members"], r["format"], r["variant"]): r for r in results}
        for fmt in formats:
            for variant in trees:
                small, big = by.get((sizes[-2], fmt, variant)), by.get((sizes[-1], fmt, variant))
                if small and big:
                    text += (f"\nScaling {fmt} ({variant}): {sizes[-1]:,} members took "
                             f"{big['run_wall_s'] / small['run_wall_s']:.1f}x the time of {sizes[-2]:,} "
                             f"({sizes[-1] / sizes[-2]:.0f}x the members).\n")
    print(text)
    out = PROJECT / "docs" / "benchmarks" / "raw.md"  # BENCHMARKS.md keeps the current summary (issue 28)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("# Raw results, appended by each `make bench`\n\nEach section is one benchmark run: scan "
                       "baseline = DuckDB reading every input column once; run = `mtm run`, ingest to published "
                       "run, in a fresh process.\n")
    with out.open("a") as fh:
        fh.write(text)
    BENCH_DIR.mkdir(exist_ok=True)
    (BENCH_DIR / "results.json").write_text(json.dumps({"runs": results, "deliveries": deliveries}, indent=2))


if __name__ == "__main__":
    main()
