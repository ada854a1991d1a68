"""Who may see what: the roles of the portal as data (outputs.md, `mtm serve`).

- analyst: everything;
- outreach: the outreach lists of their contracts (and recording contacts);
- pharmacist: the TMR worklists and member pages of their contracts;
- quality: the dashboard and the aggregate files only (no member-level file).

Files that list members of several contracts (the outreach list, the TMR worklist) are offered to a user
limited to some contracts as one file per contract, ``<stem>_<CONTRACT>.<ext>``, cut from the published
file; the published file itself holds other contracts' members and is refused to them.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("analyst", "outreach", "pharmacist", "quality")

#: pages (route groups) each role opens
ROLE_PAGES: dict[str, frozenset[str]] = {
    "analyst": frozenset({"runs", "dashboard", "outreach", "tmr", "members", "contacts", "audit"}),
    "outreach": frozenset({"runs", "outreach", "contacts"}),
    "pharmacist": frozenset({"runs", "tmr", "members"}),
    "quality": frozenset({"runs", "dashboard"}),
}

#: published files each role downloads ("*": every file of the run folder)
ROLE_FILES: dict[str, frozenset[str]] = {
    "analyst": frozenset({"*"}),
    "outreach": frozenset({"outreach_list.csv", "outreach_list.xlsx"}),
    "pharmacist": frozenset({"tmr_worklist.csv"}),
    "quality": frozenset({"dashboard.html", "dashboard_shareable.html", "quality_measures.csv", "program_metrics.csv",
                          "criteria_whatif.csv",
                          "run_manifest.json"}),
}

#: roles that record the medication review: CMRs, drug therapy problems, written summaries, prescriber
#: responses (issue 29). The analyst opens the workspace to read it; only a pharmacist writes to it.
CMR_RECORDERS = frozenset({"pharmacist"})

#: files with members of several contracts: a user limited to some contracts gets per-contract cuts
CONTRACT_SCOPED_FILES = ("outreach_list.csv", "outreach_list.xlsx", "tmr_worklist.csv")

#: files holding names, phones or birth dates (a download is audited like every download; the page too)
PHI_FILES = frozenset({"outreach_list.csv", "outreach_list.xlsx", "tmr_worklist.csv", "cms_mtm_beneficiary_file.csv"})


@dataclass(frozen=True)
class FileRequest:
    """A download name resolved: the published file it comes from, and the contract cut, if any."""

    published: str
    contract: str | None = None


def split_contract_file(name: str) -> FileRequest:
    """``outreach_list_H1234.xlsx`` -> (outreach_list.xlsx, H1234); any other name is itself."""
    for published in CONTRACT_SCOPED_FILES:
        stem, dot, ext = published.rpartition(".")
        prefix, suffix = stem + "_", dot + ext
        if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
            return FileRequest(published, name[len(prefix):-len(suffix)].upper())
    return FileRequest(name)


def may_open(user, page: str) -> bool:
    return page in ROLE_PAGES[user.role]


def may_record_cmr(role: str) -> bool:
    return role in CMR_RECORDERS


def may_download(user, request: FileRequest) -> bool:
    allowed = ROLE_FILES[user.role]
    if "*" not in allowed and request.published not in allowed:
        return False
    if request.contract is not None:
        return user.sees_contract(request.contract)
    # the whole published file: only for a user who sees every contract
    return not (request.published in CONTRACT_SCOPED_FILES and user.contracts)


def download_names(user, published: str, contracts: list[str]) -> list[str]:
    """The names under which ``user`` downloads a published file (the file, or one cut per contract)."""
    if published not in CONTRACT_SCOPED_FILES or not user.contracts:
        return [published]
    stem, _, ext = published.rpartition(".")
    return [f"{stem}_{c}.{ext}" for c in contracts if user.sees_contract(c)]
