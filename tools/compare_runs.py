"""Compare two published run folders file by file (tables by content, the manifest without run ids and
timings): what a refactor must leave unchanged. Usage: python tools/compare_runs.py RUN_A RUN_B"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

VOLATILE = {"run_id", "written_at", "timings_seconds", "code_version", "extract_dirs", "settings_file"}


def _relation(path: Path) -> str | None:
    quoted = str(path).replace("'", "''")
    if path.suffix == ".parquet":
        return f"read_parquet('{quoted}')"
    if path.suffix == ".csv":
        return f"read_csv('{quoted}', all_varchar = true, header = true)"
    return None


def _same_table(pa: Path, pb: Path) -> bool:
    """The same columns and the same rows, in any order, counted with their repeats (``EXCEPT ALL`` both
    ways, inside DuckDB: a 1M-member run folder compares in seconds, without loading rows into Python)."""
    ra, rb = _relation(pa), _relation(pb)
    if ra is None or rb is None:
        return True
    with duckdb.connect() as con:
        if con.sql(f"SELECT * FROM {ra}").columns != con.sql(f"SELECT * FROM {rb}").columns:
            return False
        differing = con.sql(f"SELECT (SELECT count(*) FROM (SELECT * FROM {ra} EXCEPT ALL SELECT * FROM {rb})) "
                            f"+ (SELECT count(*) FROM (SELECT * FROM {rb} EXCEPT ALL SELECT * FROM {ra}))").fetchone()
    return differing is not None and differing[0] == 0


def compare(a: Path, b: Path) -> list[str]:
    problems = []
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    for name in names:
        pa, pb = a / name, b / name
        if not (pa.exists() and pb.exists()):
            problems.append(f"{name}: only in {'A' if pa.exists() else 'B'}")
        elif name == "run_manifest.json":
            ma, mb = (json.loads(p.read_text()) for p in (pa, pb))
            for key in sorted(set(ma) | set(mb)):
                if key not in VOLATILE and ma.get(key) != mb.get(key):
                    problems.append(f"{name}: {key} differs")
        elif pa.is_file() and not _same_table(pa, pb):
            problems.append(f"{name}: content differs")
    return problems


if __name__ == "__main__":
    found = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "identical (apart from run ids and timings)")
    sys.exit(1 if found else 0)
