"""Compare two published run folders file by file (tables by content, the manifest without run ids and
timings): what a refactor must leave unchanged. Usage: python tools/compare_runs.py RUN_A RUN_B"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

VOLATILE = {"run_id", "written_at", "timings_seconds", "code_version", "extract_dirs", "settings_file"}


def _table(path: Path):
    con = duckdb.connect()
    if path.suffix == ".parquet":
        rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
    elif path.suffix == ".csv":
        rel = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
    else:
        return None
    return rel.columns, sorted(rel.fetchall(), key=repr)


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
        elif pa.is_file() and (ta := _table(pa)) is not None and ta != _table(pb):
            problems.append(f"{name}: content differs")
    return problems


if __name__ == "__main__":
    found = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "identical (apart from run ids and timings)")
    sys.exit(1 if found else 0)
