"""The pharmacist's pages (issue 29): the CMR workspace of a member, the written summary in the CMS
Standardized Format (HTML to print, and PDF), the prescriber letters, and the forms that record.

A mixin of ``PortalApp``: every page is in the ``members`` group (pharmacist and analyst open it), every
form that records is refused unless the role may record (``access.may_record_cmr``: the pharmacist), and
every view, download and record is audited. The data come from the published run's member files (the same
queries as the member page) and the portal's records (``cmr.py``).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipelines.ingest.contract import (
    CMR_DELIVERY_METHODS,
    CMR_RECIPIENTS,
    DTP_TYPES,
    PRESCRIBER_RESPONSES,
    PROVIDER_TYPES,
)
from pipelines.portal import access, cmr, runs, summary
from pipelines.portal.web import Page, Refused, endpoint

#: rows of blank inputs under the medicines (over-the-counter medicines and supplements the member reports)
BLANK_MEDICINE_ROWS = 3
BLANK_ACTION_ROWS = 3


class CmrPages:
    """Routes and handlers of the pharmacist's side (mixed into PortalApp)."""

    def cmr_routes(self) -> list[Route]:
        base = "/runs/{as_of}/members/{member_id}"
        return [
            Route(base + "/cmr", self.cmr_workspace, methods=["GET"]),
            Route(base + "/cmr", self.cmr_record, methods=["POST"]),
            Route(base + "/summary.pdf", self.cmr_summary_pdf),
            Route(base + "/summary", self.cmr_summary),
            Route(base + "/letters/{npi}.pdf", self.cmr_letter_pdf),
            Route(base + "/letters/{npi}", self.cmr_letter),
            Route("/runs/{as_of}/followup/resolve", self.cmr_followup_resolve, methods=["POST"]),
        ]

    # -- what the run and the portal say of a member -------------------------------------------------------

    def _cmr_member(self, page: Page, as_of: str, member_id: str) -> tuple[runs.Run, dict, cmr.Member]:
        run, summary_row = self._member(page, as_of, member_id)  # type: ignore[attr-defined]
        events = runs.member_rows(run, "member_events", member_id)
        return run, summary_row, cmr.Member.from_run(summary_row, events, run.as_of)

    def _document(self, page: Page, as_of: str, member_id: str, lang: str | None) -> summary.Document:
        run, row, member = self._cmr_member(page, as_of, member_id)
        person = summary.person(run, member_id)
        claims = runs.member_rows(run, "member_medication_list", member_id)
        medicines, allergies, _ = cmr.working_medicines(page.con, member_id, claims)
        cmrs = cmr.cmr_dates(page.con, member)
        language = lang if lang in summary.LANGUAGES else summary.language_of(person)
        return summary.Document(language=language, member_id=member_id, person=person, medicines=medicines,
                                allergies=allergies, plan=cmr.action_plan(page.con, member_id),
                                cmr_date=cmrs[-1] if cmrs else None, run_as_of=run.as_of,
                                dtps=cmr.dtps(page.con, member_id))

    def cmr_followup(self, page: Page, run: runs.Run) -> list[dict]:
        """Open drug therapy problems of the user's contracts for the TMR worklist (cmr.followup)."""
        members = {d["member_id"] for d in cmr.dtps(page.con) if not d["resolved_on"]}
        active: dict[str, dict[str, dt.date | None]] = {}
        for member_id in sorted(members):
            active[member_id] = {r["ingredients"]: cmr._date_or_none(r.get("last_fill_date"))
                                 for r in runs.member_rows(run, "member_medication_list", member_id)}
        return cmr.followup(page.con, run.as_of, active, page.user.sees_contract)

    @endpoint("members")
    def cmr_followup_resolve(self, page: Page, form, as_of: str) -> Response:
        """Record a problem resolved as the claims propose (the pharmacist confirms it at the TMR)."""
        member_id = str(form.get("member_id", ""))
        run, row, member = self._cmr_member(page, as_of, member_id)
        dtp_id = str(form.get("dtp_id", ""))
        try:
            day = cmr.parse_date(str(form.get("event_date", "")), "date")
            ids = cmr.record(page.con, self.home, role=page.user.role, recorded_by=page.user.name,  # type: ignore[attr-defined]
                             member=member, kind="dtp_resolved", event_date=day, dtp_id=dtp_id,
                             payload={"basis": str(form.get("basis", ""))})
        except cmr.CmrError as exc:
            page.audit("refused_cmr_record", member_id, f"dtp_resolved: {exc}")
            return page.render("message.html", 422, title="Not recorded", message=str(exc))
        page.audit("record_cmr", member_id, f"dtp_resolved on {day}: records {ids[0]}, {dtp_id} (claims proposal)")
        return RedirectResponse(f"/runs/{run.as_of}/tmr#followup", 303)

    # -- the workspace -------------------------------------------------------------------------------------

    @endpoint("members")
    def cmr_workspace(self, page: Page, form, as_of: str, member_id: str, **context) -> Response:
        run, row, member = self._cmr_member(page, as_of, member_id)
        page.audit("view_cmr_workspace", member_id, f"run {run.as_of}")
        claims = runs.member_rows(run, "member_medication_list", member_id)
        medicines, allergies, confirmed = cmr.working_medicines(page.con, member_id, claims)
        signals = runs.member_rows(run, "member_risk_signals", member_id)
        dtps = cmr.dtps(page.con, member_id)
        prescribers = sorted({d["prescriber_npi"] for d in dtps if d.get("prescriber_npi")})
        drug_options = sorted({m["drug_key"] or m["medicine"] for m in medicines if not m.get("stop")})
        npis = sorted({m["prescriber_npi"] for m in medicines if m.get("prescriber_npi")})
        return page.render(
            "cmr_workspace.html", context.pop("status_code", 200), run=run, m=row, member=member,
            person=summary.person(run, member_id), claims=claims, medicines=medicines, allergies=allergies,
            confirmed=confirmed, blank_rows=BLANK_MEDICINE_ROWS, blank_actions=BLANK_ACTION_ROWS,
            candidates=cmr.candidate_dtps(signals),
            conditions=runs.member_rows(run, "member_conditions", member_id),
            evidence=runs.member_rows(run, "member_evidence", member_id),
            dtps=dtps, prescribers=prescribers, drug_options=drug_options, npis=npis,
            plan=cmr.action_plan(page.con, member_id), cmr_dates=cmr.cmr_dates(page.con, member),
            summaries=cmr.records(page.con, member_id, "summary_sent"),
            may_record=access.may_record_cmr(page.user.role), today=dt.date.today().isoformat(),
            dtp_types=DTP_TYPES, responses=PRESCRIBER_RESPONSES, delivery_methods=CMR_DELIVERY_METHODS,
            recipients=CMR_RECIPIENTS, provider_types=PROVIDER_TYPES, languages=summary.LANGUAGES,
            follow_up_days=cmr.FOLLOW_UP_DAYS, **context)

    @endpoint("members")
    def cmr_record(self, page: Page, form, as_of: str, member_id: str) -> Response:
        run, row, member = self._cmr_member(page, as_of, member_id)
        action = str(form.get("action", ""))
        try:
            day = cmr.parse_date(str(form.get("event_date") or dt.date.today().isoformat()), "date")
            payload, dtp_id = _payload(action, form), str(form.get("dtp_id", ""))
            ids = cmr.record(page.con, self.home, role=page.user.role, recorded_by=page.user.name,  # type: ignore[attr-defined]
                             member=member, kind=action, event_date=day, payload=payload, dtp_id=dtp_id,
                             acted_on=form.get("acted_on") == "yes")
        except cmr.CmrError as exc:
            page.audit("refused_cmr_record", member_id, f"{action}: {exc}")
            return self.cmr_workspace.__wrapped__(self, page, None, run.as_of, member_id, error=str(exc),
                                                  status_code=422)
        except OSError as exc:  # disk full, read-only home: nothing was recorded (contacts.append_and_rewrite)
            return self.cmr_workspace.__wrapped__(
                self, page, None, run.as_of, member_id, status_code=503,
                error=f"NOT recorded: the portal could not write to its home folder "
                      f"({exc.strerror or type(exc).__name__}). Nothing was saved; tell the administrator.")
        page.audit("record_cmr", member_id, f"{action} on {day}: records {', '.join(map(str, ids))}"
                   + (f", {dtp_id}" if dtp_id else ""))
        return RedirectResponse(f"/runs/{run.as_of}/members/{quote(member_id)}/cmr?recorded={action}#{action}", 303)

    # -- the written summary -------------------------------------------------------------------------------

    def _completed_cmr(self, page: Page, as_of: str, member_id: str) -> summary.Document:
        """The summary's document, in the language asked for; refused before the CMR is completed."""
        doc = self._document(page, as_of, member_id, page.request.query_params.get("lang"))
        if doc.cmr_date is None:
            raise Refused(page.render("message.html", 409, title="No CMR yet",
                                      message="The written summary follows a completed CMR: complete the CMR "
                                              "in the workspace first."))
        return doc

    @endpoint("members")
    def cmr_summary(self, page: Page, form, as_of: str, member_id: str) -> Response:
        doc = self._completed_cmr(page, as_of, member_id)
        page.audit("view_cmr_summary", member_id, f"run {doc.run_as_of}, {doc.language}")
        return page.render("cmr_summary.html", doc=doc, t=summary.texts(doc.language), as_of=doc.run_as_of)

    @endpoint("members")
    def cmr_summary_pdf(self, page: Page, form, as_of: str, member_id: str) -> Response:
        doc = self._completed_cmr(page, as_of, member_id)
        body = summary.summary_pdf(doc)
        page.audit("download", f"{doc.run_as_of}/{member_id}/summary.pdf", f"{len(body)} bytes, {doc.language}")
        return Response(body, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="cmr_summary_{member_id}_{doc.language}.pdf"'})

    # -- prescriber letters --------------------------------------------------------------------------------

    def _letter(self, page: Page, as_of: str, member_id: str, npi: str) -> summary.Letter:
        doc = self._document(page, as_of, member_id, "en")
        items = [d for d in doc.dtps if d.get("prescriber_npi") == npi]
        if not items:
            raise Refused(page.missing(f"No recommendation of member {member_id} went to prescriber {npi}."))
        return summary.Letter(npi=npi, doc=doc, items=items)

    @endpoint("members")
    def cmr_letter(self, page: Page, form, as_of: str, member_id: str, npi: str) -> Response:
        letter = self._letter(page, as_of, member_id, npi)
        page.audit("view_prescriber_letter", member_id, f"prescriber {npi}, {len(letter.items)} recommendations")
        return page.render("cmr_letter.html", letter=letter, doc=letter.doc, as_of=letter.doc.run_as_of,
                           letter_lines=summary.letter_lines(letter))

    @endpoint("members")
    def cmr_letter_pdf(self, page: Page, form, as_of: str, member_id: str, npi: str) -> Response:
        letter = self._letter(page, as_of, member_id, npi)
        body = summary.letter_pdf(letter)
        page.audit("download", f"{letter.doc.run_as_of}/{member_id}/letters/{npi}.pdf", f"{len(body)} bytes")
        return Response(body, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="prescriber_letter_{member_id}_{npi}.pdf"'})


def _payload(action: str, form) -> dict:
    """The form fields of one record kind (cmr.record checks them)."""
    if action == "medicines":
        count = _count(form, "med_count")
        keys = ("key", "medicine", "drug_key", "how", "why", "prescriber", "prescriber_npi", "start", "stop",
                "stop_reason", "source")
        medicines = [{k: str(form.get(f"med-{i}-{k}", "")) for k in keys} for i in range(count)]
        return {"medicines": medicines, "allergies": str(form.get("allergies", ""))}
    if action == "action_plan":
        count = _count(form, "item_count")
        return {"items": [{"talked": str(form.get(f"item-{i}-talked", "")), "todo": str(form.get(f"item-{i}-todo", ""))}
                          for i in range(count)],
                "follow_up": str(form.get("follow_up", "")), "questions": str(form.get("questions", ""))}
    if action == "cmr_completed":
        return {k: str(form.get(k, "")) for k in ("delivery_method", "recipient", "provider_type")} | {
            "cognitively_impaired": form.get("cognitively_impaired") == "yes"}
    return {k: str(v) for k, v in form.items() if k not in ("csrf_token", "action", "event_date", "dtp_id")}


def _count(form, name: str) -> int:
    text = str(form.get(name) or "0")
    return min(int(text), 200) if text.isdigit() else 0
