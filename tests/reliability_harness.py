"""Shared helpers of the reliability suite: published files compared byte for byte, the CLI as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from tests.template_home import seeded_home

if TYPE_CHECKING:
    from pipelines.run_state.run_context import RunContext

#: manifest keys that legitimately differ between two runs of the same input
VOLATILE_MANIFEST_KEYS = ("run_id", "written_at", "timings_seconds", "extract_dirs", "settings_file", "code_version")


def published_files(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder (recursively) except the manifest, with its bytes.

    The dashboard's footer (issue 15) repeats two volatile values of the manifest, the run id and the code
    version (a commit between two runs changes it): they read ``<run id>`` and ``<code version>`` here;
    every other byte must be equal."""
    folder = Path(folder)
    manifest = folder / "run_manifest.json"
    volatile = json.loads(manifest.read_text()) if manifest.exists() else {}
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_file() and rel != "run_manifest.json" and not rel.startswith("data_docs"):
            content = path.read_bytes()
            if rel in ("dashboard.html", "dashboard_shareable.html"):
                for key in ("run_id", "code_version"):
                    if volatile.get(key):
                        content = content.replace(volatile[key].encode(), f"<{key.replace('_', ' ')}>".encode())
            files[rel] = content
    return files


def stable_manifest(folder: Path) -> dict:
    """The manifest without run ids, timestamps, timings and paths, and with input files by table and rows only
    (a delivery in two parts has other file names than one file)."""
    manifest = json.loads((Path(folder) / "run_manifest.json").read_text())
    for key in VOLATILE_MANIFEST_KEYS:
        manifest.pop(key, None)
    manifest.pop("input_files", None)
    return manifest


def run_context(home: Path, *extracts: Path, as_of: str, as_known_at: str | None = None) -> RunContext:
    """A run of ``extracts`` on ``home`` (seeded from the session template) with Great Expectations sampling off
    (its suites have tests of their own), its settings file named alike for every home (the dashboard's footer
    names it)."""
    from pipelines.run_state.run_context import RunContext

    settings = Path(home).parent / f"{Path(home).name}_settings" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[validation]\ngx_sample_rows = 0\n")
    return RunContext.create(home=seeded_home(home), extract_dirs=list(extracts), as_of=as_of,
                             settings_file=settings, as_known_at=as_known_at)


def run(home: Path, *extracts: Path, as_of: str, as_known_at: str | None = None) -> Path:
    """The real asset graph, published, as `mtm run` runs it (``run_context``)."""
    from dagster_project.run import run_pipeline

    return run_pipeline(run_context(home, *extracts, as_of=as_of, as_known_at=as_known_at))


def cli(*args: str) -> tuple[int, str, str]:
    """`mtm ...` in-process as a user runs it; no traceback may reach the user, whatever happens."""
    from mtm.cli import main

    result = CliRunner().invoke(main, list(args))
    out, err = result.stdout, result.stderr
    assert "Traceback" not in out + err, out + err
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"mtm {' '.join(args)} raised {result.exception!r}\n{out}{err}")
    return result.exit_code, out, err
