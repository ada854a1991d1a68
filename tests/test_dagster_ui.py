"""The Dagster UI really comes up with our definitions (issue 17): started on a free localhost port with a
throw-away DAGSTER_HOME, asked over GraphQL for the asset keys and checks, photographed in headless
Chromium, and shut down cleanly (SIGTERM to its process group)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.browser import chromium

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parents[1]
QUERY = """{ assetNodes { assetKey { path }
             assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_until_up(port: int, proc: subprocess.Popen, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, "the Dagster UI exited while starting"
        try:
            if _graphql(port, "{ version }").get("data"):
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the Dagster UI did not answer on port {port} within {timeout} s")


@contextlib.contextmanager
def dagster_ui(tmp_path: Path, mtm_home: Path):
    """`dagster-webserver` over our definitions on a free localhost port, with a throw-away DAGSTER_HOME;
    yields (port, process, environment) once it answers GraphQL; stopped with SIGTERM to its process group."""
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "MTM_HOME": str(mtm_home),
           "DAGSTER_DISABLE_TELEMETRY": "1", "GX_ANALYTICS_ENABLED": "false"}
    Path(env["DAGSTER_HOME"]).mkdir()
    log = (tmp_path / "webserver.log").open("w")
    proc = subprocess.Popen([str(BIN / "dagster-webserver"), "-m", "dagster_project.definitions",
                             "-h", "127.0.0.1", "-p", str(port)],
                            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        startup = _wait_until_up(port, proc, timeout=180)
        print(f"Dagster UI answered after {startup:.1f} s")
        yield port, proc, env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the Dagster UI did not stop within 30 s of SIGTERM") from None
        finally:
            log.close()
    assert code in (0, -signal.SIGTERM), (tmp_path / "webserver.log").read_text()[-2000:]


def test_dagster_ui_serves_the_asset_graph_and_checks(tmp_path):
    with dagster_ui(tmp_path, tmp_path / "mtm_home") as (port, _, _):
        nodes = _graphql(port, QUERY)["data"]["assetNodes"]
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"member_summary", "outreach_list", "published_run", "tgt_ledger_next", "rejects"} <= keys
        checks = {("/".join(n["assetKey"]["path"]), c["name"]): c["blocking"]
                  for n in nodes for c in n["assetChecksOrError"].get("checks", [])}
        assert checks[("tgt_ledger_next", "cmr_clock_not_in_past")] is True
        assert checks[("outreach_list", "no_opted_out_member_listed")] is True
        assert ("member_summary", "row_count_vs_previous_run") in checks
        assert ("rejects", "reject_rate") in checks and ("core_fill", "ndc_identified_share") in checks
        shot = tmp_path / "asset_graph.png"
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/locations/dagster_project.definitions/asset-groups/outputs/lineage",
                      wait_until="domcontentloaded")
            page.get_by_text("published_run").first.wait_for(timeout=45_000)
            skip = page.get_by_role("button", name="Skip")  # the first-visit newsletter dialog
            if skip.count():
                skip.click()
            page.screenshot(path=str(shot))
            # the group's graph draws only the nodes in view; one export's own lineage shows the table it
            # reads and the run that publishes it, as an analyst follows a number back
            page.goto(f"http://127.0.0.1:{port}/assets/export_member_summary?view=lineage",
                      wait_until="domcontentloaded")
            for neighbour in ("member_summary", "published_run"):
                page.get_by_text(neighbour, exact=True).first.wait_for(timeout=30_000)
        assert shot.stat().st_size > 10_000
