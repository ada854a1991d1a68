"""tools/compare_runs.py, the maintainers' "are these two run folders the same" (refactors, engines, restores):
rows compared in any order but with their repeats, columns by name and order, the manifest without run ids."""

import json
from pathlib import Path

from tools.compare_runs import compare


def _folder(path: Path, csv: str, manifest: dict) -> Path:
    path.mkdir()
    (path / "member_summary.csv").write_text(csv)
    (path / "run_manifest.json").write_text(json.dumps(manifest))
    return path


def test_row_order_and_run_ids_do_not_count(tmp_path):
    a = _folder(tmp_path / "a", "member_id,n\nM1,1\nM1,1\nM2,2\n", {"run_id": "r1", "members": 2})
    b = _folder(tmp_path / "b", "member_id,n\nM2,2\nM1,1\nM1,1\n", {"run_id": "r2", "members": 2})
    assert compare(a, b) == []


def test_a_repeated_row_a_renamed_column_and_a_manifest_fact_do(tmp_path):
    a = _folder(tmp_path / "a", "member_id,n\nM1,1\nM1,1\nM2,2\n", {"members": 2})
    repeats = _folder(tmp_path / "b", "member_id,n\nM1,1\nM2,2\nM2,2\n", {"members": 2})
    renamed = _folder(tmp_path / "c", "member,n\nM1,1\nM1,1\nM2,2\n", {"members": 3})
    assert compare(a, repeats) == ["member_summary.csv: content differs"]
    assert compare(a, renamed) == ["member_summary.csv: content differs", "run_manifest.json: members differs"]
