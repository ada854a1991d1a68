"""Issue 26 items 2 and 4, the shareable dashboard: the program counts added for item 2 (enrolled this year,
offered a CMR, completed, counted for the measure, enrolled at D, no longer meeting the criteria) are nested
in one another, so the difference of two shown steps is a count too (enrolled but not offered, ...). When that
difference is 1-10 one of the two steps is hidden (complementary suppression, targeting-rules.md section 10);
the plan's own page keeps every count exact. Built with the real suppression of pipelines.publishing.privacy."""

from __future__ import annotations

from pipelines.publishing.exports.dashboard import ALL, NESTED_COUNTS, DashboardData, suppressed_member_counts

CONTRACTS = ["H1", "H2"]


def counts(h1: dict[str, int], h2: dict[str, int], criteria: tuple[int, int]) -> dict[tuple, int]:
    cells = {(c, "program", k, ""): v for c, values in (("H1", h1), ("H2", h2)) for k, v in values.items()}
    cells.update({(c, "funnel", "meets_criteria", ""): n for c, n in zip(CONTRACTS, criteria, strict=True)})
    cells.update({(c, "funnel", "part_d_enrollees", ""): 1000 for c in CONTRACTS})
    return cells


BIG = {"enrolled_this_year": 400, "mtm_enrolled": 350, "enrolled_not_meeting_criteria": 40, "cmr_offered": 300,
       "cmr_completed": 200, "cmr_counted": 150}


def revealed(shown: dict[tuple, int | str]) -> list[tuple]:
    """Pairs of shown counts whose difference is a small count (1-10): a cell the reader can compute."""
    leaks = []
    for view in [*CONTRACTS, ALL]:
        for (wp, wc), (pp, pc) in NESTED_COUNTS:
            whole, part = shown.get((view, wp, wc, "")), shown.get((view, pp, pc, ""))
            if isinstance(whole, int) and isinstance(part, int) and 1 <= whole - part <= 10:
                leaks.append((view, wc, pc))
        enrolled, gone = shown.get((view, "program", "mtm_enrolled", "")), shown.get(
            (view, "program", "enrolled_not_meeting_criteria", ""))
        criteria = shown.get((view, "funnel", "meets_criteria", ""))
        if (all(isinstance(v, int) for v in (enrolled, gone, criteria))
                and 1 <= criteria - (enrolled - gone) <= 10):  # type: ignore[operator]
            leaks.append((view, "meets_criteria", "enrolled and meeting"))
    return leaks


def test_no_small_difference_of_two_program_steps_can_be_read_off_the_shareable_page():
    # H1: 5 enrolled members not offered a CMR (400 vs 395); 3 enrolled members who no longer meet the
    # criteria... are 3 (a small cell, hidden by itself); 7 members meet the criteria without being enrolled
    h1 = {**BIG, "cmr_offered": 395, "enrolled_not_meeting_criteria": 3}
    h2 = {**BIG, "cmr_counted": 192}  # 8 completed CMRs not counted for the measure
    cells = counts(h1, h2, criteria=(350 - 3 + 7, 350 - 40 + 60))
    shown = suppressed_member_counts(cells, CONTRACTS)
    assert revealed(shown) == []
    assert shown[("H1", "program", "enrolled_not_meeting_criteria", "")] == "<11"
    assert "suppressed" in {shown[("H1", "program", "enrolled_this_year", "")],
                            shown[("H1", "program", "cmr_offered", "")]}
    assert "suppressed" in {shown[("H2", "program", "cmr_completed", "")], shown[("H2", "program", "cmr_counted", "")]}
    # the cells the page does not show are not in what it shows
    assert not any("-" in key[2] or key[2] == "meets_criteria_not_enrolled" for key in shown)
    # a count hidden in a contract cannot come back from "All contracts" minus the other contract
    for key in {k[1:] for k, v in shown.items() if isinstance(v, str)}:
        assert sum(isinstance(shown[(c, *key)], str) for c in [*CONTRACTS, ALL]) >= 2, key


def test_large_differences_stay_shown_and_the_plans_own_page_is_exact():
    cells = counts(BIG, BIG, criteria=(400, 400))
    shown = suppressed_member_counts(cells, CONTRACTS)
    assert all(isinstance(v, int) for v in shown.values())  # nothing small: nothing hidden
    small = counts({**BIG, "cmr_offered": 395}, BIG, criteria=(400, 400))
    exact = DashboardData(small, None, None, [], {}, shareable=False)
    assert exact.member_panel("H1", "program")["cmr_offered"] == 395
    assert exact.member_panel(ALL, "program")["enrolled_this_year"] == 800
    shared = DashboardData(small, None, None, [], {}, shareable=True)
    assert "suppressed" in {shared.member_panel("H1", "program")[k] for k in ("enrolled_this_year", "cmr_offered")}
    assert set(shared.member_panel("H1", "program")) == set(BIG)  # no implied difference among the bars
