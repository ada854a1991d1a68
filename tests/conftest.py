import fcntl
import os
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    # each test worker's DuckDB takes its share of the cores (MTM_THREADS; subprocess runs inherit it): two
    # workers on two cores each running two-thread queries were ~15% slower than on one thread each
    os.environ.setdefault("MTM_THREADS", str(max(1, (os.cpu_count() or 1) // _WORKERS)))

import pytest  # noqa: E402


def _let_great_expectations_import_pyspark() -> None:
    """With the `spark` extra installed (`make spark`), Great Expectations imports ``pyspark.sql.connect``, whose
    ``__init__`` takes a process whose ``__main__`` has neither ``__spec__`` nor ``__file__`` for a doctest run
    and calls ``sys.exit(0)``. A pytest-xdist worker is such a process: every Great Expectations test then ended
    in ``SystemExit: 0``. Here the check is disarmed once (the product's own processes are started with
    ``python -m`` and never meet it); Great Expectations then finds Spark Connect unusable (no grpc) and goes on."""
    import importlib.util
    import sys

    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is not None or hasattr(main, "__file__"):
        return
    if importlib.util.find_spec("pyspark") is None:
        return
    try:
        import pyspark.sql.connect  # noqa: F401
    except SystemExit:
        sys.modules["pyspark.sql.connect.utils"].check_dependencies = lambda: None
    except ImportError:
        pass


_let_great_expectations_import_pyspark()


def _cheapest_password_hashes() -> None:
    """Portal passwords hashed in the test processes with argon2's ``CHEAPEST`` profile (argon2-cffi's profile
    for tests), as Django's test settings swap in a fast hasher: the product's RFC 9106 low-memory hasher (64 MiB,
    3 passes) costs ~0.2 CPU-s per hash or login here, and the suite adds users and logs in ~100 times. The
    product's parameters stay under test where `mtm users add` runs as its own process (test_portal_cli.py)."""
    from argon2 import PasswordHasher, profiles

    from pipelines.portal import users

    users._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    users._DUMMY_HASH = users._hasher.hash("not a password of anyone")


_cheapest_password_hashes()


@pytest.fixture(scope="session")
def schema_warehouse(tmp_path_factory):
    """A warehouse the real asset graph built once per test session: the schemas unit tests build from.

    Under pytest-xdist the workers share it: the first to need it builds it in the session's common
    temporary folder while holding a lock, the others wait for it and then read it (read-only)."""
    from tests.model_harness import build_schema_warehouse

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build_schema_warehouse(tmp_path_factory.mktemp("schema_warehouse"))
    shared = tmp_path_factory.getbasetemp().parent  # the session's folder, above each worker's own
    built = shared / "schema_warehouse.path"
    with (shared / "schema_warehouse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            built.write_text(str(build_schema_warehouse(shared / "schema_warehouse")))
    return Path(built.read_text())


@pytest.fixture(scope="session", autouse=True)
def template_home_folder(tmp_path_factory):
    """Where ``tests.template_home`` keeps the session's seeded template warehouse (built on first use):
    the session's common temporary folder under pytest-xdist, so the workers build it once between them."""
    from tests.template_home import TEMPLATE_DIR_ENV

    base = tmp_path_factory.getbasetemp()
    os.environ[TEMPLATE_DIR_ENV] = str(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@pytest.fixture
def model(schema_warehouse):
    """``model("core_member_cost", core_fill=[...], ...)`` builds one SQL model from given rows."""
    from tests.model_harness import ModelHarness

    return ModelHarness(schema_warehouse).run


@pytest.fixture
def models(schema_warehouse):
    """``models(["core_active_drug", "tgt_signal_interval"], core_fill=[...])`` builds a short chain of models
    from given rows (a rule written across adjacent models); returns each model's rows."""
    from tests.model_harness import ModelHarness

    return ModelHarness(schema_warehouse).chain


#: The test files that run the whole pipeline most often (or start a server and a browser), longest first.
#: `make test` runs them first and keeps this order (``--no-loadscope-reorder``: xdist would otherwise start
#: the files with the most tests first and leave a slow one-test file such as the Dagster UI test for the
#: end), so the two workers finish together. Only the order depends on this list, never what is tested.
#: By issue 24's third-round measurement (the Dagster UI test first: it starts a server); the files that wait for
#: the same shared build (tests/shared_runs.py: test_portal and test_i29_browser, the issue 26 item files) are
#: apart, so that the second worker does not wait for the first one's build; test_engine.py, which reads
#: test_determinism.py's shared runs (``engine_and_dagster``), is no longer listed: it comes after them.
SLOW_FILES_FIRST = (
    "test_dagster_ui.py", "test_orchestration.py", "test_portal.py", "test_incremental_delivery.py",
    "test_dagster_project.py", "test_program_reporting.py", "test_determinism.py",
    "test_i30_backup.py", "test_dashboard.py", "test_i26_2_panels_agree.py", "test_faults.py",
    "test_i29_browser.py", "test_adapter_synpuf.py", "test_run_overhead.py", "test_i25_cms_file.py",
    "test_i26_contacts.py", "test_i30_disk_full.py", "test_drug_interactions.py", "test_bad_input_corpus.py",
    "test_i26_portal_browser.py", "test_bad_input.py", "test_enrollment_ledger.py", "test_mtm_lifecycle.py",
    "test_concurrency.py", "test_outreach_export.py", "test_i30_upgrade.py", "test_adapter_synthea.py",
    "test_i26_run_progress.py", "test_quality_gx.py", "test_i26_xlsx_import.py", "test_portal_cli.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its order
