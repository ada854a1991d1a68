"""Count the tests of `make test` (or `make test-long`) by kind, statically: the shape of the test pyramid.

    .venv/bin/python -m tools.test_kinds            # the selection of `make test` (-m "not long")
    .venv/bin/python -m tools.test_kinds --long     # the selection of `make test-long`
    .venv/bin/python -m tools.test_kinds --files    # and per test file

The test ids come from pytest's own collection (parametrised cases count one each); each test's kind comes
from reading the test modules (``ast``): what the test function calls, directly or through the helpers and
fixtures it uses (followed across ``tests/*.py``), decides it. Kinds, heaviest first:

- ``browser``: drives a headless Chromium (``tests/browser.py``) or the Dagster UI;
- ``whole-run``: runs the whole asset graph itself (``run_extract``, ``run_pipeline``, an unselected
  ``materialize`` or ``dagster_materialize``, ``mtm run`` or ``mtm backfill`` through the CLI or a subprocess);
- ``staging-run``: ingests an extract to staging itself (``tests/staging_harness.py``: the readers, steps and
  staging SQL without a Dagster run; or a ``materialize(targets=...)``, engine or Dagster);
- ``shared-run``: only reads a whole or staging run that a module- or session-scoped fixture built once, or that
  ``tests/shared_runs.py``'s ``shared_build`` built once for the session (whatever its builder runs);
- ``model``: builds one SQL model from given rows (the ``model`` fixture, ``ModelHarness``, ``build_model``);
- ``other``: the rest (readers, reference files, generators, pure functions).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
KINDS = ("browser", "whole-run", "staging-run", "shared-run", "model", "other")

WHOLE_CALLS = {"run_extract", "run_pipeline", "run_synpuf", "run_synthea"}
STAGING_CALLS = {"stage_extract"}
MODEL_CALLS = {"ModelHarness", "build_model"}
BROWSER_CALLS = {"chromium", "sync_playwright"}
#: a session-shared build (tests/shared_runs.py): its builder runs once per session, not in the calling test
SHARED_CALLS = {"shared_build"}
CLI_CALLS = {"main", "cli", "_mtm", "mtm", "run_cli", "Popen", "run", "check_output", "check_call"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _direct(call: ast.Call) -> str | None:
    """The kind one call makes a test, or None."""
    name = _name(call.func)
    if name in BROWSER_CALLS:
        return "browser"
    if name in WHOLE_CALLS:
        return "whole-run"
    if name in STAGING_CALLS:
        return "staging-run"
    if name in ("materialize", "dagster_materialize"):  # the engine's or Dagster's: whole unless targets are given
        return "staging-run" if any(k.arg == "targets" for k in call.keywords) or len(call.args) > 1 else "whole-run"
    if name in MODEL_CALLS:
        return "model"
    if name in CLI_CALLS and call.args:
        first = call.args[0]
        words = _strings(first) if isinstance(first, (ast.List, ast.Tuple, ast.Constant)) else []
        words += [s for a in call.args[1:2] for s in _strings(a)] if name in {"_mtm", "mtm", "run_cli"} else []
        runs = {"run", "backfill"}  # `mtm run`, `mtm backfill` (several whole runs)
        if words[:1] and words[0] in runs or ("mtm" in " ".join(words) and runs & set(words)):
            return "whole-run"
        if "dagster" in " ".join(words) and ("dev" in words or "webserver" in " ".join(words)):
            return "browser"
    return None


class Module:
    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(), filename=str(path))
        self.functions: dict[str, ast.FunctionDef] = {}
        self.fixtures: dict[str, str] = {}  # name -> scope
        self.imported: dict[str, str] = {}  # name -> tests module it comes from
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = node.module.split(".", 1)[1]
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, node)
                for deco in node.decorator_list:
                    target = deco.func if isinstance(deco, ast.Call) else deco
                    if _name(target) == "fixture":
                        scope = "function"
                        if isinstance(deco, ast.Call):
                            scope = next((k.value.value for k in deco.keywords if k.arg == "scope"
                                          and isinstance(k.value, ast.Constant)), "function")
                        self.fixtures[node.name] = scope


class Classifier:
    def __init__(self) -> None:
        self.modules = {p.stem: Module(p) for p in sorted(TESTS.glob("*.py"))}
        self.conftest = self.modules["conftest"]
        self.cache: dict[tuple[str, str], set[str]] = {}

    def _lookup(self, module: Module, name: str) -> tuple[Module, ast.FunctionDef] | None:
        if name in module.functions:
            return module, module.functions[name]
        if name in self.conftest.functions:
            return self.conftest, self.conftest.functions[name]
        other = self.modules.get(module.imported.get(name, ""))  # a helper imported from another tests/ module
        if other is not None and name in other.functions:
            return other, other.functions[name]
        return None

    def kinds(self, module: Module, func: ast.FunctionDef) -> set[str]:
        """The kinds ``func`` reaches; a run reached only through a module/session fixture is 'shared-run'."""
        key = (module.path.stem, func.name)
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = set()  # recursion guard
        found: set[str] = set()
        if func.name == "schema_warehouse":  # the model harness's schemas: one build per session, not a test's run
            return found
        if module.path.stem == "staging_harness" and func.name in ("build", "stage_extract"):
            self.cache[key] = {"staging-run"}  # ingest + staging from an extract, without a Dagster run
            return self.cache[key]
        own_args = {a.arg for a in func.args.args}
        if func.name == "model" and module is self.conftest:
            found.add("model")
        shared = [node for node in ast.walk(func) if isinstance(node, ast.Call) and _name(node.func) in SHARED_CALLS]
        built_once = {id(inner) for call in shared for inner in ast.walk(call) if inner is not call}
        if shared:
            found.add("shared-run")
        for node in ast.walk(func):
            if id(node) in built_once:  # the builder handed to shared_build: run once per session, not here
                continue
            if isinstance(node, ast.Call):
                kind = _direct(node)
                if kind:
                    found.add(kind)
                target = self._lookup(module, _name(node.func))
                if target and target[1] is not func:
                    found |= self.kinds(*target)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id != func.name \
                    and node.id not in own_args:
                target = self._lookup(module, node.id)  # a helper passed by name (e.g. to a fixture)
                if target and not target[1].name.startswith("test_"):
                    found |= self.kinds(*target)
        for arg in func.args.args:  # fixtures
            owner = module if arg.arg in module.fixtures else self.conftest if arg.arg in self.conftest.fixtures \
                else None
            if owner is None:
                continue
            reached = self.kinds(owner, owner.functions[arg.arg])
            if owner.fixtures[arg.arg] in ("module", "session", "package"):
                reached = {"shared-run" if k in ("whole-run", "staging-run") else k for k in reached}
            found |= reached
        self.cache[key] = found
        return found

    def kind_of(self, file: str, function: str) -> str:
        module = self.modules[Path(file).stem]
        func = module.functions.get(function)
        if func is None:
            return "other"
        found = self.kinds(module, func)
        return next((k for k in KINDS if k in found), "other")


def collected(long: bool) -> list[str]:
    marker = "long" if long else "not long"
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-m", marker, "-o", "addopts="], cwd=ROOT, capture_output=True, text=True, check=False)
    return [line for line in out.stdout.splitlines() if "::" in line]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the selection of make test-long (-m long)")
    parser.add_argument("--files", action="store_true", help="also print the count per test file")
    args = parser.parse_args(argv)
    classifier = Classifier()
    totals: Counter[str] = Counter()
    per_file: dict[str, Counter[str]] = {}
    for node_id in collected(args.long):
        file, _, rest = node_id.partition("::")
        function = rest.split("::")[-1].split("[")[0]
        kind = classifier.kind_of(file, function)
        totals[kind] += 1
        per_file.setdefault(Path(file).name, Counter())[kind] += 1
    if args.files:
        print(f"{'file':36} " + " ".join(f"{k:>11}" for k in KINDS))
        for name, counts in sorted(per_file.items()):
            print(f"{name:36} " + " ".join(f"{counts[k]:>11}" for k in KINDS))
    print(f"{'total':36} " + " ".join(f"{k}={totals[k]}" for k in KINDS) + f"  all={sum(totals.values())}")


if __name__ == "__main__":
    main()
