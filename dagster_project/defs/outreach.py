"""The outreach list's gates: blocking checks on the ``outreach_list`` table, so a list that breaks one
is never exported or published. Every check reads the warehouse; none returns or logs a member's PHI."""


from dagster_project.defs.run_checks import gate
from pipelines.exports.outreach import CHECK_QUERIES


def _gate(name: str, description: str, asset: str = "outreach_list"):
    return gate(asset, f"outreach_{name}", CHECK_QUERIES[name], description)


GATES = {
    "no_excluded_members": "No opted-out, dead or disenrolled member is listed",
    "all_mtm_enrolled": "Every listed member is enrolled in MTM in the listed contract",
    "ranks_dense": "Priority ranks are 1..n without gaps or ties in each contract's call list (all CMR services "
                   "ranked together)",
    "hospice_at_bottom": "Hospice members rank after all others (and are absent when the plan excludes them)",
    "one_row_per_member_service": "One row per member x contract x service",
    "no_tmr_on_call_list": "The call list holds CMR services only; TMRs are on the pharmacist worklist",
}
#: gates of the pharmacist's TMR worklist (targeting-rules.md section 7)
TMR_GATES = {
    "tmr_worklist_enrolled_once": "TMR worklist: each member once per contract, enrolled in MTM and Part D there",
}
OUTREACH_CHECKS = [*(_gate(name, text) for name, text in GATES.items()),
                   *(_gate(name, text, asset="tmr_worklist") for name, text in TMR_GATES.items())]
