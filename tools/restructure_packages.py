"""Move the modules of ``pipelines/`` into subpackages named after their role (issue 28), and rewrite every
reference to them across the repository.

    python tools/restructure_packages.py            # apply (git mv + rewrites), then print what it did
    python tools/restructure_packages.py --dry-run  # print what it would do, change nothing

Idempotent: a second run finds nothing to move and nothing to rewrite. It works on a tree it has not seen
(modules, tests and imports added after it was written): moves are by file, rewrites by pattern over every
text file git knows (tracked, or untracked and not ignored), never by a list of files. A module of
``pipelines/`` that the map does not name stays where it is and is listed at the end.

What is rewritten, in ``.py .toml .md .sql .txt .cfg .ini .yml .yaml .j2 .html .sh``, ``Makefile`` and ``.ci/``:
  * dotted names (imports, ``python -m``, ``pyproject.toml`` entry points, monkeypatch strings, comments):
    ``pipelines.readers`` -> ``pipelines.ingest.readers``, ``pipelines.exports.x`` ->
    ``pipelines.publishing.exports.x``;
  * ``from pipelines import readers, ledger`` -> one import per new package (``as`` keeps the old name
    where a module is renamed, so ``run_report.record(...)`` still reads);
  * names that moved out of a module before the restructure (publish.py's jobs, the two import circles):
    ``from pipelines.publish import run_lock`` -> ``from pipelines.publishing.run_lock import run_lock``;
  * paths: ``pipelines/readers.py`` -> ``pipelines/ingest/readers.py``, ``pipelines/exports/`` -> ...;
  * ``pyproject.toml``: the setuptools package list is recomputed from the tree, mypy checks ``mtm`` too.
Table renames: none (README "How to add a model": the naming rule per layer is followed by every table); the
TABLE_RENAMES map is applied to ``sql/`` and Python when it names any (published file names never change).
Afterwards ``ruff check --fix --select I`` sorts the rewritten imports, and the editable install is refreshed
(``mtm`` is a new top-level package and the ``mtm`` command's entry point moved): ``make install`` does it too.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the role packages and what each says about itself (its __init__.py)
PACKAGES = {
    "pipelines.ingest": "Ingest: the input contract, finding and reading an extract's files into typed rows, row "
                        "checks and rejects, the home's staging store, the source adapters and the input "
                        "validation (Great Expectations).",
    "pipelines.engine": "The engine: the SQL models and seeds, the Python steps, the graph runner, DuckDB helpers, "
                        "the cache, the packaged files and the Spark SQL rewrite.",
    "pipelines.run_state": "Run state: what one run is about (context, parameters, settings), what it records "
                           "about itself (run facts), errors, fault injection, and the home's layout and backups.",
    "pipelines.publishing": "Publishing: the jobs of publishing a run (lock, manifest, ledger commit, metrics "
                            "history, run folder), the ledger, the output contract and checks, small-cell "
                            "privacy and the exports.",
    "mtm": "The entry points: the `mtm` command line, backfill, the year-end report, the benchmark and the run "
           "summary. Above both the core (pipelines) and the Dagster layer (dagster_project): nothing imports them.",
}

#: old dotted module (or package) -> new dotted name
MODULE_MOVES = {
    # ingest
    "pipelines.contract": "pipelines.ingest.contract",
    "pipelines.extract_files": "pipelines.ingest.extract_files",
    "pipelines.readers": "pipelines.ingest.readers",
    "pipelines.typed_rows": "pipelines.ingest.typed_rows",
    "pipelines.row_checks": "pipelines.ingest.row_checks",
    "pipelines.staging_store": "pipelines.ingest.staging_store",
    "pipelines.adapters": "pipelines.ingest.adapters",
    "pipelines.quality": "pipelines.ingest.quality",
    # engine
    "pipelines.engine": "pipelines.engine.runner",
    "pipelines.models": "pipelines.engine.models",
    "pipelines.seeds": "pipelines.engine.seeds",
    "pipelines.steps": "pipelines.engine.steps",
    "pipelines.db": "pipelines.engine.db",
    "pipelines.cache": "pipelines.engine.cache",
    "pipelines.package_files": "pipelines.engine.package_files",
    "pipelines.spark_sql": "pipelines.engine.spark_sql",
    "pipelines.spark_engine": "pipelines.engine.spark_engine",
    # run state
    "pipelines.run_context": "pipelines.run_state.run_context",
    "pipelines.run_parameters": "pipelines.run_state.run_parameters",
    "pipelines.run_report": "pipelines.run_state.run_facts",
    "pipelines.settings": "pipelines.run_state.settings",
    "pipelines.errors": "pipelines.run_state.errors",
    "pipelines.faults": "pipelines.run_state.faults",
    "pipelines.home_layout": "pipelines.run_state.home_layout",
    "pipelines.home_backup": "pipelines.run_state.home_backup",
    # publishing (publish.py's jobs: issue 28)
    "pipelines.publish": "pipelines.publishing.publish",
    "pipelines.run_lock": "pipelines.publishing.run_lock",
    "pipelines.run_manifest": "pipelines.publishing.run_manifest",
    "pipelines.ledger_commit": "pipelines.publishing.ledger_commit",
    "pipelines.metrics_history": "pipelines.publishing.metrics_history",
    "pipelines.run_folder": "pipelines.publishing.run_folder",
    "pipelines.ledger": "pipelines.publishing.ledger",
    "pipelines.previous_run": "pipelines.publishing.previous_run",
    "pipelines.output_contract": "pipelines.publishing.output_contract",
    "pipelines.checks": "pipelines.publishing.output_checks",
    "pipelines.privacy": "pipelines.publishing.privacy",
    "pipelines.diagnosis_report": "pipelines.publishing.diagnosis_warnings",
    "pipelines.exports": "pipelines.publishing.exports",
    # entry points
    "pipelines.cli": "mtm.cli",
    "pipelines.backfill": "mtm.backfill",
    "pipelines.report": "mtm.year_end",
    "pipelines.bench": "mtm.bench",
    "pipelines.run_summary": "mtm.run_summary",
}

#: names that left their module on the branch of issue 28 before the restructure (old dotted names): code
#: written elsewhere against the old place is pointed at the new one first
SYMBOL_MOVES = {
    "pipelines.publish": {
        "RunLocked": "pipelines.run_lock", "HomeNotUsable": "pipelines.run_lock", "run_lock": "pipelines.run_lock",
        "home_is_busy": "pipelines.run_lock", "sweep_interrupted": "pipelines.run_lock",
        "PROBE_GRACE_SECONDS": "pipelines.run_lock", "record_failure": "pipelines.run_folder",
        "code_version": "pipelines.run_context", "targeting_report": "pipelines.run_manifest",
    },
    "pipelines.exports.measures": {"replace_program_metrics_history": "pipelines.metrics_history"},
    "pipelines.readers": {"drop_relation": "pipelines.db"},
    "pipelines.synth.generator": {"CATALOG_PATH": "pipelines.synth.catalog", "Catalog": "pipelines.synth.catalog",
                                  "load_catalog": "pipelines.synth.catalog"},
}

#: old table name -> new (none: see the module docstring)
TABLE_RENAMES: dict[str, str] = {}

TEXT_SUFFIXES = {".py", ".toml", ".md", ".sql", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".j2", ".html", ".sh"}
SKIP_PREFIXES = ("tests/fixtures/", "data_samples/", ".venv/")
THIS_FILE = "tools/restructure_packages.py"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def _path(dotted: str) -> Path:
    return ROOT / Path(*dotted.split("."))


def _source(dotted: str) -> Path | None:
    """The file (``x.py``) or package folder (``x/``) of a dotted name, if it exists."""
    if (folder := _path(dotted)).is_dir() and (folder / "__init__.py").exists():
        return folder
    if (file := _path(dotted).with_suffix(".py")).is_file():
        return file
    return None


def _target(dotted_new: str, source: Path) -> Path:
    return _path(dotted_new) if source.is_dir() else _path(dotted_new).with_suffix(".py")


def ensure_packages(dry: bool) -> list[str]:
    done = []
    for dotted, role in PACKAGES.items():
        init = _path(dotted) / "__init__.py"
        if not init.exists():
            done.append(f"create {init.relative_to(ROOT)}")
            if not dry:
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text('"""' + textwrap.fill(role, LINE_LENGTH - 4) + '"""\n')
                git("add", str(init))
    return done


def move_files(dry: bool) -> list[str]:
    done = []
    for old, new in MODULE_MOVES.items():
        source = _source(old)
        if _children(old):  # the old module's name is a new package's (pipelines.engine): only its file moves
            file = _path(old).with_suffix(".py")
            source = file if file.is_file() else None
        if source is None or (source.is_file() and _source(new) is not None):
            continue  # moved already (or never there)
        if source.is_dir() and _path(new).exists():
            continue
        target = _target(new, source)
        done.append(f"git mv {source.relative_to(ROOT)} {target.relative_to(ROOT)}")
        if not dry:
            target.parent.mkdir(parents=True, exist_ok=True)
            git("mv", str(source), str(target))
    return done


def text_files() -> list[Path]:
    names = set(git("ls-files").splitlines()) | set(git("ls-files", "--others", "--exclude-standard").splitlines())
    found = []
    for name in sorted(names):
        path = ROOT / name
        if name == THIS_FILE or name.startswith(SKIP_PREFIXES) or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name == "Makefile" or name.startswith(".ci/"):
            found.append(path)
    return found


def _guard(old: str) -> str:
    """A lookahead that leaves alone a name that is already new: ``pipelines.engine`` becomes a package, so
    ``pipelines.engine.models`` (new) must not be read as ``pipelines.engine`` (old) + ``.models``."""
    children = sorted(_children(old))
    return rf"(?!\.(?:{'|'.join(children)})\b)" if children else ""


def _children(old: str) -> set[str]:
    """The submodules of the new package that an old module's name becomes (``pipelines.engine``)."""
    return {new[len(old) + 1:].split(".")[0] for new in MODULE_MOVES.values() if new.startswith(old + ".")}


def _dotted_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for old in sorted(MODULE_MOVES, key=len, reverse=True):
        # ``from pipelines.engine import ...`` is left to rewrite_from_imports, which tells old from new by name
        not_import = r"(?! import )" if _children(old) else ""
        patterns.append((re.compile(rf"(?<![\w.]){re.escape(old)}(?![\w]){_guard(old)}{not_import}"),
                         MODULE_MOVES[old]))
    return patterns


def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for old in sorted(MODULE_MOVES, key=len, reverse=True):
        new = MODULE_MOVES[old]
        old_path, new_path = old.replace(".", "/"), new.replace(".", "/")
        patterns.append((re.compile(rf"(?<![\w/.]){re.escape(old_path)}\.py\b"), f"{new_path}.py"))
        if not _children(old):  # a folder path: only for what was a folder (adapters/, exports/, quality/)
            patterns.append((re.compile(rf"(?<![\w/.]){re.escape(old_path)}(?=/)"), new_path))
    return patterns


_FROM_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from (?P<module>[\w.]+) import (?P<names>\([^)]*\)|[^\n#]+)"
                          r"(?P<comment>#[^\n]*)?$", re.M)


def _names(text: str) -> list[tuple[str, str | None]]:
    names = []
    for part in text.strip().strip("()").replace("\n", " ").split(","):
        if part.strip():
            name, _, alias = part.strip().partition(" as ")
            names.append((name.strip(), alias.strip() or None))
    return names


def _statement(indent: str, module: str, names: list[tuple[str, str | None]], comment: str) -> str:
    listed = ", ".join(f"{n} as {a}" if a else n for n, a in names)
    line = f"{indent}from {module} import {listed}{comment}"
    if len(line) > 120:
        inner = ",\n".join(f"{indent}    {n} as {a}" if a else f"{indent}    {n}" for n, a in names)
        line = f"{indent}from {module} import (\n{inner},\n{indent}){comment}"
    return line


def rewrite_from_imports(text: str) -> str:
    """``from P import a, b`` where a, b are modules that moved, or names that moved out of P."""

    def replace(match: re.Match[str]) -> str:
        module, indent = match["module"], match["indent"]
        comment = f"  {match['comment']}" if match["comment"] else ""
        names = _names(match["names"])
        groups: dict[str, list[tuple[str, str | None]]] = {}
        for name, alias in names:
            moved_symbol = SYMBOL_MOVES.get(module, {}).get(name)
            moved_module = MODULE_MOVES.get(f"{module}.{name}")
            if moved_symbol:
                groups.setdefault(moved_symbol, []).append((name, alias))
            elif module in MODULE_MOVES and _children(module) and name not in _children(module):
                groups.setdefault(MODULE_MOVES[module], []).append((name, alias))  # a name of the old module
            elif moved_module:
                parent, _, leaf = moved_module.rpartition(".")
                keep = alias or (name if leaf != name else None)
                groups.setdefault(parent, []).append((leaf, keep))
            else:
                groups.setdefault(module, []).append((name, alias))
        if list(groups) == [module]:
            return match.group(0)
        lines = [_statement(indent, m, ns, comment if m == module or len(groups) == 1 else "")
                 for m, ns in groups.items()]
        return "\n".join(lines)

    return _FROM_IMPORT.sub(replace, text)


def rewrite_text(text: str, is_python: bool) -> str:
    if is_python:
        text = rewrite_from_imports(text)
    for pattern, new in _dotted_patterns():
        text = pattern.sub(new, text)
    for pattern, new in _path_patterns():
        text = pattern.sub(new, text)
    for old, new in TABLE_RENAMES.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text


def _package_list() -> list[str]:
    found = []
    for top in ("pipelines", "dagster_project", "mtm"):
        for init in sorted((ROOT / top).rglob("__init__.py")):
            found.append(".".join(init.parent.relative_to(ROOT).parts))
    return found + ["mtm_sql"]


def rewrite_pyproject(text: str) -> str:
    packages = _package_list()
    wrapped = "".join(f'    "{p}",\n' for p in packages)
    text = re.sub(r"(\[tool\.setuptools\]\n)packages = \[[^\]]*\]\n",
                  lambda m: f"{m.group(1)}packages = [\n{wrapped}]\n", text)
    text = re.sub(r'(\[tool\.mypy\](?:(?!\n\[)[\s\S])*?\npackages = \[)"pipelines", "dagster_project"\]',
                  r'\1"pipelines", "dagster_project", "mtm"]', text)
    return text


LONG_LINES: list[str] = []


def rewrite_all(dry: bool) -> list[Path]:
    changed = []
    for path in text_files():
        try:
            before = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        after = rewrite_text(before, path.suffix == ".py")
        if path.name == "pyproject.toml" and path.parent == ROOT:
            after = rewrite_pyproject(after)
        if path.suffix == ".py" and after != before:
            after, left = wrap_prose(after)
            LONG_LINES.extend(f"{path.relative_to(ROOT)}:{n}" for n in left if "noqa" not in after.splitlines()[n - 1])
        if after != before:
            changed.append(path)
            if not dry:
                path.write_text(after, encoding="utf-8")
    return changed


LINE_LENGTH = 120  # pyproject.toml [tool.ruff]


def _prose_lines(text: str) -> tuple[set[int], set[int]]:
    """(docstring lines, comment-only lines), 1-based: the prose a longer module name may push past the limit."""
    docstrings: set[int] = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set(), set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings |= set(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    comments = {i for i, line in enumerate(text.splitlines(), 1) if line.lstrip().startswith("#")}
    return docstrings, comments


def wrap_prose(text: str) -> tuple[str, list[int]]:
    """Docstring and comment lines longer than the limit wrapped at a space; returns the text and the long
    lines left (code: for a person to fix)."""
    docstrings, comments = _prose_lines(text)
    out: list[str] = []
    left: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        indent = line[: len(line) - len(line.lstrip())]
        prefix = indent + ("# " if number in comments else "")
        first = True
        while len(line) > LINE_LENGTH and (number in docstrings or number in comments):
            cut = line.rfind(" ", len(prefix) + 10, LINE_LENGTH + 1)
            if cut < 0:
                break
            out.append(line[:cut].rstrip())
            line = prefix + line[cut + 1:].lstrip()
            first = False
        if len(line) > LINE_LENGTH and first:
            left.append(number)
        out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else ""), left


def unmapped_modules() -> list[str]:
    mapped = {old.rpartition(".")[2] for old in MODULE_MOVES}
    keep = {"__init__", "reference", "synth", "portal", *(p.rpartition(".")[2] for p in PACKAGES)}
    return sorted(p.name for p in (ROOT / "pipelines").iterdir()
                  if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.stem not in mapped | keep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    parser.add_argument("--no-install", action="store_true", help="do not refresh the editable install")
    args = parser.parse_args(argv)
    dry = args.dry_run
    done = ensure_packages(dry) + move_files(dry)
    changed = rewrite_all(dry)
    for line in done:
        print(line)
    print(f"{'would rewrite' if dry else 'rewrote'} {len(changed)} files")
    for path in changed:
        print(f"  {path.relative_to(ROOT)}")
    if LONG_LINES:
        print("code lines now longer than the limit (wrap by hand): " + ", ".join(LONG_LINES))
    if unmapped := unmapped_modules():
        print("not in the map, left in pipelines/: " + ", ".join(unmapped))
    if dry or not (done or changed):
        return 0
    venv = ROOT / ".venv" / "bin"
    python_files = [str(p) for p in changed if p.suffix == ".py"]
    if python_files and (venv / "ruff").exists():
        subprocess.run([str(venv / "ruff"), "check", "--fix", "--select", "I", "-q", *python_files], cwd=ROOT)
    if not args.no_install and (venv / "uv").exists():
        subprocess.run([str(venv / "uv"), "pip", "install", "-q", "--python", str(venv / "python"), "--no-deps",
                        "-e", "."], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
