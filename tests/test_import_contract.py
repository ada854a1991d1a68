"""The import contract (issue 28): the roles of the code and who may import whom, checked on the import graph
read from the source (imports inside functions count: a lazy import is still a dependency).

  * the core (``pipelines``) never imports the Dagster layer (``dagster_project``);
  * nothing imports the entry points (the ``mtm`` command, backfill, the year-end report, the benchmark, the
    run summary): they sit above both the core and ``dagster_project``;
  * readers and reference data (ingest, ``pipelines.reference``) never import publishing, not even through
    another module;
  * no import circle, but the two named below.

The role lists name modules; ``tools/restructure_packages.py`` rewrites them with the rest of the repository,
and the role packages it creates (``pipelines.ingest``, ``pipelines.publishing``, ``mtm``) are listed too, so
a module added to a role package later is under the contract without being named here.
"""

from __future__ import annotations

from tests.import_graph import cycles, import_graph, within

ENTRY_POINTS = [
    "mtm", "mtm.cli",
    "mtm.backfill", "mtm.year_end",
    "mtm.bench", "mtm.run_summary",
]
PUBLISHING = [
    "pipelines.publishing", "pipelines.publishing.publish",
    "pipelines.publishing.run_lock", "pipelines.publishing.run_manifest",
    "pipelines.publishing.ledger_commit", "pipelines.publishing.metrics_history",
    "pipelines.publishing.run_folder", "pipelines.publishing.ledger",
    "pipelines.publishing.previous_run", "pipelines.publishing.output_contract",
    "pipelines.publishing.output_checks", "pipelines.publishing.privacy",
    "pipelines.publishing.diagnosis_warnings", "pipelines.publishing.exports",
]
READERS_AND_REFERENCE = [
    "pipelines.ingest", "pipelines.ingest.contract",
    "pipelines.ingest.extract_files", "pipelines.ingest.readers",
    "pipelines.ingest.typed_rows", "pipelines.ingest.row_checks",
    "pipelines.ingest.staging_store", "pipelines.ingest.adapters",
    "pipelines.ingest.quality", "pipelines.reference",
]
#: circles left, each for a reason: the layout upgrade backs the home up under the run lock that upgrades it
#: (home_layout -> home_backup -> run_lock -> home_layout); the portal's app (with the CMR pages mixed in) and
#: its web helpers, which name the app only for type checking
ALLOWED_CIRCLES = [
    ["pipelines.run_state.home_backup", "pipelines.run_state.home_layout", "pipelines.publishing.run_lock"],
    ["pipelines.portal.app", "pipelines.portal.cmr_pages", "pipelines.portal.web"],
]


def _reachable(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every module reachable from ``start`` -> the module that imports it on the way."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        here = todo.pop()
        for there in graph.get(here, ()):
            if there not in seen and there != start:
                seen[there] = here
                todo.append(there)
    return seen


def test_the_graph_sees_the_project():
    graph = import_graph()
    assert len(graph) > 60
    assert any(within(m, READERS_AND_REFERENCE) for m in graph) and any(within(m, PUBLISHING) for m in graph)
    assert any(within(m, ENTRY_POINTS) for m in graph)


def test_the_core_never_imports_dagster_project():
    graph = import_graph()
    wrong = {m: sorted(t for t in targets if within(t, ["dagster_project"]))
             for m, targets in graph.items() if within(m, ["pipelines"]) and not within(m, ENTRY_POINTS)}
    assert {m: t for m, t in wrong.items() if t} == {}


def test_nothing_imports_the_entry_points():
    graph = import_graph()
    wrong = {m: sorted(t for t in targets if within(t, ENTRY_POINTS))
             for m, targets in graph.items() if not within(m, ENTRY_POINTS)}
    assert {m: t for m, t in wrong.items() if t} == {}


def test_readers_and_reference_data_never_import_publishing_even_indirectly():
    graph = import_graph()
    wrong = {}
    for module in (m for m in graph if within(m, READERS_AND_REFERENCE)):
        for reached, via in _reachable(graph, module).items():
            if within(reached, PUBLISHING):
                wrong[module] = f"{reached} (imported by {via})"
    assert wrong == {}


def test_no_import_circle_but_the_two_allowed():
    found = {frozenset(group) for group in cycles(import_graph())}
    assert found == {frozenset(group) for group in ALLOWED_CIRCLES}


def test_the_circles_issue_28_broke_stay_broken():
    graph = import_graph()
    readers = [m for m in graph if m.endswith(".readers") and within(m, READERS_AND_REFERENCE)]
    staging = [m for m in graph if m.endswith(".staging_store")]
    assert readers and staging
    assert not set(readers) & set(_reachable(graph, staging[0]))  # staging_store does not reach readers
    assert "pipelines.synth.generator" not in _reachable(graph, "pipelines.synth.ndc_only")
