"""The portal's web application (Starlette + Jinja2): pages, downloads, login, recorded contacts.

Every page checks the role's rights (access.py) and the user's contracts; every download, page of PHI,
recorded contact and failed login is written to the audit log with who, what, when and from where.
Nothing here logs a row of data: the server's access log is off (cli.serve), and errors name no member.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from pipelines.portal import access, contacts, runs, sessions, store, users
from pipelines.portal.access import FileRequest
from pipelines.portal.cmr_pages import CmrPages
from pipelines.portal.web import Page, Refused, endpoint, safe_next
from pipelines.publishing.exports import labels, medication_list

TEMPLATES = Path(__file__).parent / "templates"
log = logging.getLogger("mtm.portal")
#: failed logins in this window that block further attempts (per user name, per client address)
RATE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'",
}
SHOWN_OUTREACH_COLUMNS = ("service", "priority_rank", "due_date", "member_id", "first_name", "last_name", "phone",
                    "preferred_language", "contact_note", "reasons", "risk_flags", "contract_id")
#: service names on the runs page (manifest codes -> the labels of pipelines/publishing/exports/labels.csv)
SERVICE_LABELS = {code: labels.label("service", code) for code in ("cmr_initial", "cmr_annual", "cmr_follow_up", "tmr")}
#: the page each role lands on after logging in (issue 26 item 11); a role not named lands on the runs
ROLE_LANDING = {"outreach": "outreach", "pharmacist": "tmr", "quality": "dashboard"}
#: shown in a member's "details" on the outreach list (the working columns above stay on screen; item 6)
OUTREACH_DETAIL_COLUMNS = ("part_d_drugs", "core_conditions", "attempts_since_last_offer", "last_cmr_completed_date",
                           "pbp_id")
#: the Great Expectations Data Docs folder of a run (pipelines/quality)
DATA_DOCS = "data_docs"
TARGETING_REASONS = {
    "01": "meets the MTM criteria: chronic diseases, Part D drugs and drug cost",
    "02": "at-risk beneficiary of the Drug Management Program",
    "03": "both: meets the MTM criteria and is an at-risk beneficiary",
    "04": "not targeted",
}


class PortalApp(CmrPages):
    def __init__(self, home: Path):
        self.home = Path(home).resolve()
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
        self.templates = Jinja2Templates(env=env)
        routes = [
            Route("/healthz", self.healthz),
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/", self.index),
            Route("/runs", self.runs_page),
            Route("/contacts", self.contacts_page, methods=["GET"]),
            Route("/contacts", self.record_contact, methods=["POST"]),
            Route("/audit", self.audit_page),
            Route("/latest/{name}", self.latest_page),
            Route("/runs/{as_of}/dashboard", self.dashboard_page),
            Route("/runs/{as_of}/outreach", self.outreach_page),
            Route("/runs/{as_of}/tmr", self.tmr_page),
            Route("/runs/{as_of}/members/{member_id}", self.member_page),
            Route("/runs/{as_of}/members/{member_id}/pml", self.pml_page),
            *self.cmr_routes(),  # the pharmacist's CMR workspace, summary and letters (cmr_pages.py)
            Route("/runs/{as_of}/contacts/{member_id}", self.contact_form),
            Route("/runs/{as_of}/data_docs/{path:path}", self.data_docs),
            Route("/runs/{as_of}/{name}", self.download),
            Route("/runs/{as_of}", self.run_page),
        ]
        self.starlette = Starlette(routes=routes)

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k.lower().encode() not in present]
                message["headers"] = headers
            await send(message)
        try:
            await self.starlette(scope, receive, send_with_headers if scope["type"] == "http" else send)
        except Exception as exc:  # noqa: BLE001 -- the 500 page was sent; the server must not log the details
            # a traceback or exception message may quote a member id or a row: log the kind of error only
            log.error("portal: %s while answering a request (details withheld: they may name a member)",
                      type(exc).__name__)

    def open(self, request: Request) -> Page:
        con = store.connect(self.home)
        session = sessions.load(con, request.cookies.get(sessions.COOKIE))
        user = users.get_user(con, session.username) if session and session.username else None
        return Page(self, request, con, session, user)

    def run_or_none(self, as_of: str) -> runs.Run | None:
        return runs.get_run(self.home, as_of)

    def _run(self, page: Page, as_of: str) -> runs.Run:
        """The published run of ``as_of``; refused (not found) when there is none."""
        run = self.run_or_none(as_of)
        if run is None:
            raise Refused(page.missing(f"No published run {as_of}."))
        return run

    # -- login ----------------------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    @endpoint(public=True)
    def login_form(self, page: Page, form) -> Response:
        if page.user:
            return RedirectResponse(self.landing(page.user.role), 303)
        if page.session is None:
            page.session = sessions.create(page.con, None)
        asked = page.request.query_params.get("next")
        return page.render("login.html", next=safe_next(asked) if asked else "")

    @endpoint(public=True)
    def login(self, page: Page, form) -> Response:
        name, password = str(form.get("username", "")), str(form.get("password", ""))
        since = (dt.datetime.now(dt.UTC) - RATE_WINDOW).isoformat(timespec="seconds")
        if (store.recent_failures(page.con, "username", name, since) >= MAX_FAILURES_PER_NAME
                or store.recent_failures(page.con, "client", page.client, since) >= MAX_FAILURES_PER_CLIENT):
            store.audit(page.con, name, "login_rate_limited", "/login", page.client)
            return page.render("login.html", 429, next="/runs",
                               error="Too many failed logins. Wait 15 minutes and try again.")
        user = users.authenticate(page.con, name, password)
        if user is None:
            store.audit(page.con, name, "failed_login", "/login", page.client)
            return page.render("login.html", 401, next=safe_next(form.get("next")),
                               error="Wrong user name or password.")
        sessions.end(page.con, page.session)  # a new session at login: no fixation
        page.session, page.user = sessions.create(page.con, user.name), user
        page.audit("login", "/login")
        asked = form.get("next")
        return RedirectResponse(safe_next(asked) if asked else self.landing(user.role), 303)

    def landing(self, role: str) -> str:
        """Where a role's work is (issue 26 item 11): outreach on its contracts' list, the pharmacist on the
        TMR worklist, quality on the dashboard, all of the latest run; the analyst (and anyone, before a
        first run) on the list of runs."""
        page = ROLE_LANDING.get(role)
        run = self.run_or_none("latest") if page else None
        return f"/runs/{run.as_of}/{page}" if run is not None else "/runs"

    @endpoint()
    def logout(self, page: Page, form) -> Response:
        page.audit("logout")
        sessions.end(page.con, page.session)
        page.session = None
        response = RedirectResponse("/login", 303)
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    # -- runs -----------------------------------------------------------------------------------------

    @endpoint()
    def index(self, page: Page, form) -> Response:
        return RedirectResponse(self.landing(page.user.role) if page.user else "/runs", 303)

    @endpoint("runs")
    def runs_page(self, page: Page, form) -> Response:
        return page.render("runs.html", runs=runs.list_runs(self.home), service_label=SERVICE_LABELS)

    @endpoint()
    def latest_page(self, page: Page, form, name: str) -> Response:
        run = self.run_or_none("latest")
        if run is None:
            return page.missing("No run has been published yet.")
        if name not in ("outreach", "tmr", "dashboard"):
            return page.missing("No such page.")
        return RedirectResponse(f"/runs/{run.as_of}/{name}", 303)

    @endpoint("runs")
    def run_page(self, page: Page, form, as_of: str) -> Response:
        run = self._run(page, as_of)
        contracts = runs.contracts_of(run) if run.has("member_summary.parquet") else []
        data_docs = (run.folder / DATA_DOCS / "index.html").is_file() and access.may_download(
            page.user, FileRequest(DATA_DOCS))
        return page.render("run.html", run=run, downloads=_downloads(page, run.files(), contracts),
                           data_docs=data_docs)

    # -- downloads ------------------------------------------------------------------------------------

    @endpoint()
    def download(self, page: Page, form, as_of: str, name: str) -> Response:
        run = self._run(page, as_of)
        wanted: FileRequest = access.split_contract_file(name)
        if not access.may_download(page.user, wanted):
            return page.refuse(f"{name} is not a file your role ({page.user.role}) and contracts may download.")
        target = f"{run.as_of}/{name}"
        if wanted.contract is not None:
            if runs.published_file(run, wanted.published) is None or wanted.contract not in runs.contracts_of(run):
                return page.missing(f"{name} is not in the run of {run.as_of}.")
            body = runs.contract_cut(run, wanted.published, wanted.contract)
            page.audit("download", target, f"{len(body)} bytes, contract {wanted.contract}")
            return Response(body, media_type=_media_type(name),
                            headers={"Content-Disposition": f'attachment; filename="{run.as_of}_{name}"'})
        path = runs.published_file(run, name)
        if path is None:
            return page.missing(f"{name} is not in the run of {run.as_of}.")
        page.audit("download", target, f"{path.stat().st_size} bytes")
        inline = name.endswith(".html")
        return FileResponse(path, media_type=_media_type(name), filename=None if inline else f"{run.as_of}_{name}",
                            content_disposition_type="inline" if inline else "attachment")

    @endpoint()
    def data_docs(self, page: Page, form, as_of: str, path: str) -> Response:
        """The run's Great Expectations Data Docs (a folder of pages: index.html, validations/, static/).
        Their failed-expectation samples may show input values, so only a role that downloads every file of
        the run (analyst) opens them."""
        run = self._run(page, as_of)
        if not access.may_download(page.user, FileRequest(DATA_DOCS)):
            return page.refuse(f"The Data Docs are not open to your role ({page.user.role}).")
        root = (run.folder / DATA_DOCS).resolve()
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return page.missing(f"{DATA_DOCS}/{path} is not in the run of {run.as_of}.")
        if target.name == "index.html" and target.parent == root:
            page.audit("view_data_docs", run.as_of)
        return FileResponse(target, media_type=_media_type(target.name))

    # -- pages ----------------------------------------------------------------------------------------

    @endpoint("dashboard")
    def dashboard_page(self, page: Page, form, as_of: str) -> Response:
        run = self._run(page, as_of)
        return page.render("dashboard.html", run=run, present=run.has("dashboard.html"))

    @endpoint("outreach")
    def outreach_page(self, page: Page, form, as_of: str) -> Response:
        run = self._run(page, as_of)
        if not run.has("outreach_list.csv"):
            return page.render("message.html", title="No outreach list",
                               message=f"The run of {run.as_of} has no outreach_list.csv.")
        frame = runs.for_contracts(run, runs.read_csv(run.folder / "outreach_list.csv"), page.user.contracts)
        columns = [c for c in SHOWN_OUTREACH_COLUMNS if c in frame.columns]
        recorded = _latest_outcomes(page.con)
        rows = frame.select(columns).to_dicts()
        detail = [c for c in OUTREACH_DETAIL_COLUMNS if c in frame.columns]
        for row, more in zip(rows, frame.select(detail).to_dicts(), strict=True):  # words, not codes (item 7, 8)
            row.update(more)
            row["_service"] = labels.label("service", row.get("service"))
            row["_language"] = labels.language(row.get("preferred_language"))
            row["_flags"] = labels.flags(row.get("risk_flags"))
            row["_call_reason"] = labels.call_reason(row.get("service") or "", row.get("part_d_drugs"),
                                                     row.get("risk_flags"))
        if "days_until_due" in frame.columns:  # overdue services rank first and are highlighted (issue 26 item 10)
            for row, days in zip(rows, frame["days_until_due"].to_list(), strict=True):
                row["_overdue_days"] = -int(days) if days not in (None, "") and int(days) < 0 else 0
        for extra in ("phone_flag", "next_try_date", "last_attempt_outcome"):  # issue 26 item 9
            if extra in frame.columns:
                for row, value in zip(rows, frame[extra].to_list(), strict=True):
                    row["_" + extra] = value or ""
        page.audit("view_outreach_list", run.as_of, f"{len(rows)} rows")
        downloads = _downloads(page, ("outreach_list.csv", "outreach_list.xlsx"), runs.contracts_of(run))
        return page.render("outreach.html", run=run, columns=columns, rows=rows, recorded=recorded,
                           downloads=downloads,
                           services={s: labels.label("service", s) for s in sorted({r["service"] for r in rows})},
                           contracts=sorted({r["contract_id"] for r in rows}))

    @endpoint("tmr")
    def tmr_page(self, page: Page, form, as_of: str) -> Response:
        run = self._run(page, as_of)
        if not run.has("tmr_worklist.csv"):
            return page.render("tmr.html", run=run, present=False)
        frame = runs.for_contracts(run, runs.read_csv(run.folder / "tmr_worklist.csv"), page.user.contracts)
        page.audit("view_tmr_worklist", run.as_of, f"{frame.height} rows")
        downloads = _downloads(page, ("tmr_worklist.csv",), runs.contracts_of(run))
        rows = frame.to_dicts()
        for row in rows:  # a worklist, not the file's 30 columns: the rest folds per member (item 11)
            row["_risks"] = split_list(row.get("risk_signals"))
            row["_drugs"] = split_list(row.get("active_drugs"))
        return page.render("tmr.html", run=run, present=True, rows=rows, downloads=downloads,
                           contracts=sorted({r["contract_id"] for r in rows}),
                           followup=self.cmr_followup(page, run))

    def _member_rows(self, page: Page, as_of: str, member_id: str, file: str, no_file: str, not_in: str
                     ) -> tuple[runs.Run, list[dict]]:
        """The run and the member's rows of its ``file``; refused (``Refused``) when the run or the file is
        missing (``no_file``), the member is not in it (``not_in``), or belongs to another contract."""
        run = self.run_or_none(as_of)
        if run is None or not run.has(file):
            raise Refused(page.missing(no_file))
        rows = runs.member_rows(run, Path(file).stem, member_id)
        if not rows:
            raise Refused(page.missing(f"Member {member_id} {not_in} {run.as_of}."))
        if not page.user.sees_contract(rows[0]["contract_id"]):
            raise Refused(page.refuse("This member belongs to a contract you are not assigned to."))
        return run, rows

    def _member(self, page: Page, as_of: str, member_id: str) -> tuple[runs.Run, dict]:
        """The run and the member's member_summary row (member pages)."""
        run, rows = self._member_rows(page, as_of, member_id, "member_summary.parquet",
                                      f"No published run {as_of}.", "is not in the run of")
        return run, rows[0]

    def _listed(self, page: Page, as_of: str, member_id: str) -> tuple[runs.Run, list[dict]]:
        """The run and the member's outreach-list rows (recorded contacts)."""
        return self._member_rows(page, as_of, member_id, "outreach_list.csv",
                                 f"No outreach list in the run {as_of}.", "is not on the outreach list of")

    @endpoint("members")
    def member_page(self, page: Page, form, as_of: str, member_id: str) -> Response:
        run, member = self._member(page, as_of, member_id)
        page.audit("view_member", member_id, f"run {run.as_of}")
        signals = runs.member_rows(run, "member_risk_signals", member_id)
        current, ended = medication_list.plain_rows(runs.member_rows(run, "member_medication_list", member_id),
                                                    run.as_of)
        for signal in signals:
            signal["_label"] = labels.label("risk_flag", signal["signal"])
        services = runs.member_rows(run, "member_services", member_id)
        for service in services:
            service["_label"] = labels.label("service", service["service"])
        return page.render(
            "member.html", run=run, m=member, reason=TARGETING_REASONS.get(member["targeting_reason"], ""),
            source_label=labels.label("enrollment_source", member.get("enrollment_source")),
            conditions=runs.member_rows(run, "member_conditions", member_id),
            evidence=runs.member_rows(run, "member_evidence", member_id),
            drugs=current, ended=ended,
            signals=[s for s in signals if s["signal"] != "adherence_gap"],
            gaps=[s for s in signals if s["signal"] == "adherence_gap"],
            services=services,
            events=runs.member_rows(run, "member_events", member_id),
            recorded=contacts.entries(page.con, member_id),
            has_evidence_files=run.has("member_evidence.parquet"))

    @endpoint("members")
    def pml_page(self, page: Page, form, as_of: str, member_id: str) -> Response:
        run, member = self._member(page, as_of, member_id)
        page.audit("view_member_pml", member_id, f"run {run.as_of}")
        current, ended = medication_list.plain_rows(runs.member_rows(run, "member_medication_list", member_id),
                                                    run.as_of)
        return page.render("pml.html", run=run, m=member, person=_listed_person(run, member_id),
                           drugs=current, ended=ended)

    # -- recorded contacts ----------------------------------------------------------------------------

    @endpoint("contacts")
    def contact_form(self, page: Page, form, as_of: str, member_id: str, **context) -> Response:
        run, rows = self._listed(page, as_of, member_id)
        page.audit("view_contact_form", member_id, f"run {run.as_of}")
        return page.render("contact.html", run=run, row=rows[0],
                           services=[labels.label("service", r["service"]) for r in rows],
                           language=labels.language(rows[0].get("preferred_language")),
                           entries=contacts.entries(page.con, member_id), outcomes=contacts.OUTCOMES,
                           channels=contacts.CHANNELS, today=dt.date.today().isoformat(),
                           earliest=contacts.earliest_contact(rows[0], run.as_of).isoformat(),
                           entered_in_error=contacts.ENTERED_IN_ERROR, **context)

    @endpoint("contacts")
    def record_contact(self, page: Page, form) -> Response:
        as_of, member_id = str(form.get("as_of", "")), str(form.get("member_id", ""))
        run, rows = self._listed(page, as_of, member_id)
        supersedes = int(form["supersedes"]) if str(form.get("supersedes", "")).isdigit() else None
        try:
            entry = contacts.record_contact(
                page.con, self.home, recorded_by=page.user.name, member_id=member_id,
                contract_id=rows[0]["contract_id"], run_as_of=run.as_of,
                contact_date=contacts.parse_contact_date(str(form.get("contact_date", "")),
                                                         earliest=contacts.earliest_contact(rows[0], run.as_of)),
                outcome=str(form.get("outcome", "")), channel=str(form.get("channel", "phone")),
                supersedes=supersedes, note=str(form.get("note", "")))
        except contacts.ContactError as exc:
            return self.contact_form.__wrapped__(self, page, None, run.as_of, member_id, error=str(exc))
        except OSError as exc:  # disk full, read-only home: nothing was recorded (contacts.record_contact)
            reason = exc.strerror or type(exc).__name__
            return self.contact_form.__wrapped__(
                self, page, None, run.as_of, member_id, status_code=503,
                error=f"The contact was NOT recorded: the portal could not write to its home folder ({reason}). "
                      "Nothing was saved; tell the administrator, and record it again once they have fixed it.")
        page.audit("record_contact", member_id,
                   f"entry {entry}: {form.get('outcome')} on {form.get('contact_date')} by {form.get('channel')}"
                   + (f", corrects entry {supersedes}" if supersedes else ""))
        return RedirectResponse(f"/runs/{run.as_of}/contacts/{quote(member_id)}?recorded={entry}", 303)

    @endpoint("contacts")
    def contacts_page(self, page: Page, form) -> Response:
        shown = [e for e in contacts.entries(page.con) if page.user.sees_contract(e["contract_id"])]
        page.audit("view_contacts", "/contacts", f"{len(shown)} entries")
        return page.render("contacts.html", entries=shown, outcomes=contacts.OUTCOMES)

    @endpoint("audit")
    def audit_page(self, page: Page, form) -> Response:
        rows = page.con.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT 500").fetchall()
        return page.render("audit.html", rows=rows)


def _media_type(name: str) -> str:
    return {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "json": "application/json", "html": "text/html", "parquet": "application/octet-stream",
            "css": "text/css", "js": "text/javascript", "png": "image/png", "svg": "image/svg+xml"
            }.get(name.rpartition(".")[2], "application/octet-stream")


def _downloads(page: Page, files, contracts) -> list[str]:
    """The names under which the user may download each of ``files``: whole, or cut to each contract."""
    return [name for file in files for name in access.download_names(page.user, file, contracts)
            if access.may_download(page.user, access.split_contract_file(name))]


def split_list(text) -> list[str]:
    """A '; '-separated list of the worklist, split outside parentheses (evidence holds its own '; ')."""
    items, depth, current = [], 0, ""
    for ch in str(text or ""):
        depth += (ch == "(") - (ch == ")")
        if ch == ";" and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += ch
    items.append(current.strip())
    return [i for i in items if i]


def _latest_outcomes(con) -> dict[str, str]:
    """member id -> the label and date of the latest recorded contact in force."""
    return {e["member_id"]: f"{contacts.OUTCOMES[e['outcome']].label} {e['contact_date']}"
                            + (f": {e['note']}" if e["note"] else "")
            for e in contacts.in_force(con)}


def _listed_person(run: runs.Run, member_id: str) -> dict:
    """Name and birth date for the printed PML, from the run's outreach list when the member is on it."""
    rows = runs.member_rows(run, "outreach_list", member_id)
    return {c: rows[0][c] for c in ("first_name", "last_name", "birth_date") if c in rows[0]} if rows else {}


def create_app(home: Path) -> PortalApp:
    return PortalApp(home)
