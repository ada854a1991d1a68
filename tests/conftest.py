import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def schema_warehouse(tmp_path_factory):
    """A warehouse the real asset graph built once (per test process): the schemas unit tests build from."""
    from tests.model_harness import build_schema_warehouse

    return build_schema_warehouse(tmp_path_factory.mktemp("schema_warehouse"))


@pytest.fixture
def model(schema_warehouse):
    """``model("core_member_cost", core_fill=[...], ...)`` builds one SQL model from given rows."""
    from tests.model_harness import ModelHarness

    return ModelHarness(schema_warehouse).run
