"""Issue 26 item 3: "how are we doing on CMR completion and adherence, by contract, against last month" in
30 seconds. The "All contracts" tiles show one plan-wide value (numerators and denominators added up, not a
lowest-highest range), every tile the change against the last run of the prior month, and the plan's targets
(settings ``[dashboard] targets``) are written on the tiles and drawn on the measures chart."""

from __future__ import annotations

import pytest

from pipelines.publishing.exports.dashboard import PLAN_WIDE, previous_month_run
from pipelines.run_state.errors import SettingsError
from pipelines.run_state.settings import resolve_settings
from tests.browser import chromium
from tests.i26_dashboard_run import AUG, TARGETS, csv_rows, dashboard_data, shared_home


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = shared_home(tmp_path_factory)
    return {**home, "data": dashboard_data((home["folder"] / "dashboard.html").read_text())}


def cmr_rows(folder) -> dict[str, dict]:
    rows = csv_rows(folder / "quality_measures.csv")
    return {r["contract_id"]: r for r in rows if r["measure_id"] == "cmr_completion"}


def tile(view: dict, tile_id: str) -> dict:
    return next(t for t in view["tiles"] if t.get("id") == tile_id)


def test_all_contracts_shows_the_plan_wide_rate_and_its_change_since_last_month(published):
    now, before = cmr_rows(published["folder"]), cmr_rows(published["aug_folder"])

    def pooled(rows):
        return sum(int(r["numerator"]) for r in rows.values()) / sum(int(r["denominator"]) for r in rows.values())

    cmr = tile(published["data"]["views"]["all"], "cmr_completion")
    assert cmr["value"] == f"{pooled(now):.1%}" and "–" not in cmr["value"]  # one value, not a range
    assert cmr["note"].startswith("plan-wide, denominator ")
    assert cmr["change"] == f"{(pooled(now) - pooled(before)) * 100:+.1f} pts"
    assert f"since {AUG}" in cmr["note"] and "target 60.0%" in cmr["note"]
    assert pooled(now) > pooled(before)  # September completed more CMRs: the change is a rise
    h1111 = tile(published["data"]["views"]["H1111"], "cmr_completion")
    change = (float(now["H1111"]["rate"]) - float(before["H1111"]["rate"])) * 100
    assert h1111["change"] == f"{change:+.1f} pts"
    assert tile(published["data"]["views"]["H2222"], "pdc_sta")["target"] == TARGETS["pdc_sta"]


def test_the_measures_chart_has_a_plan_wide_bar_and_the_targets(published):
    rows = published["data"]["views"]["all"]["charts"]["measures"]["rows"]
    cmr = [r for r in rows if r["measure"].startswith("CMR")]
    assert [r["contract_id"] for r in cmr] == [PLAN_WIDE, "H1111", "H2222"]
    assert {r["target"] for r in cmr} == {TARGETS["cmr_completion"]}
    assert "target is 60.0%" in published["data"]["views"]["all"]["charts"]["measures"]["summary"]
    with chromium(offline=True) as context:
        page = context.new_page()
        page.goto((published["folder"] / "dashboard.html").as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        ticks = page.eval_on_selector_all("#chart-measures svg path, #chart-measures svg rect",
                                          "els => els.filter(e => e.getAttribute('fill') === '#c0392b').length")
        assert ticks >= 2  # one per measure with a target and rows (CMR completion, PDC statins)


def test_previous_month_run_is_the_last_run_of_the_prior_month(tmp_path):
    runs = tmp_path / "runs"
    for name in ("2025-07-31", "2025-08-15", "2025-08-31", "2025-09-02", "latest"):
        (runs / name).mkdir(parents=True)
    assert previous_month_run(runs, "2025-09-30").name == "2025-08-31"
    assert previous_month_run(runs, "2025-08-31").name == "2025-07-31"
    assert previous_month_run(runs, "2025-01-31") is None  # January: no prior month in the contract year


@pytest.mark.parametrize(("targets", "message"), [
    ({"cmr_completion": 60}, "not a rate from 0 to 1"),
    ({"cmr_rate": 0.6}, "choose one of 'cmr_completion'"),
])
def test_a_target_that_is_not_a_rate_of_a_measure_stops_the_run_with_its_name(targets, message):
    with pytest.raises(SettingsError, match=message):
        resolve_settings({"dashboard": {"targets": targets}}, 2025)
