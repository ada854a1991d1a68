"""Request plumbing of the portal: the per-request ``Page`` (portal file, session, user, audit, render) and
the ``endpoint`` decorator that checks login, the role's right to a page group and CSRF on every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pipelines.portal import access, runs, sessions, store

if TYPE_CHECKING:
    from pipelines.portal.app import PortalApp


class Page:
    """What a handler needs: the request, the portal file, the session and the logged-in user."""

    def __init__(self, app: PortalApp, request: Request, con, session, user):
        self.app, self.request, self.con, self.session, self.user = app, request, con, session, user

    @property
    def client(self) -> str:
        return self.request.client.host if self.request.client else ""

    def audit(self, action: str, target: str = "", detail: str = "") -> None:
        store.audit(self.con, self.user.name if self.user else None, action, target, self.client, detail)

    def render(self, template: str, status_code: int = 200, **context) -> Response:
        latest = runs.get_run(self.app.home, "latest")
        context.update(user=self.user, csrf_token=self.session.csrf_token if self.session else "",
                       latest=latest.as_of if latest else None, may_open=self.may_open)
        return self.app.templates.TemplateResponse(self.request, template, context, status_code=status_code)

    def may_open(self, page: str) -> bool:
        return bool(self.user) and access.may_open(self.user, page)

    def refuse(self, what: str, status_code: int = 403) -> Response:
        self.audit("refused", self.request.url.path, what)
        return self.render("message.html", status_code, title="Not allowed", message=what)

    def missing(self, what: str) -> Response:
        return self.render("message.html", 404, title="Not found", message=what)


class Refused(Exception):
    """Raised by a handler's helper that refuses the request (no such run or member, another contract): the
    ``endpoint`` wrapper sends ``response`` instead of the page."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def endpoint(group: str | None = None, public: bool = False) -> Callable:
    """Wrap a page handler: session, login, the role's right to the page group, CSRF on every POST, and the
    response of a ``Refused`` the handler raises.

    The handler itself runs in a worker thread (file reads, SQLite), so a slow page never stalls others.
    """
    def decorate(handler: Callable) -> Callable:
        @wraps(handler)
        async def wrapper(self: PortalApp, request: Request) -> Response:
            form = await request.form() if request.method == "POST" else None
            page = await run_in_threadpool(self.open, request)
            try:
                response: Response
                if not public and page.user is None:
                    response = RedirectResponse("/login?next=" + quote(request.url.path), 303)
                elif form is not None and not sessions.csrf_ok(page.session, form.get("csrf_token")):
                    page.audit("csrf_refused", request.url.path)
                    response = page.render("message.html", 403, title="Form refused",
                                           message="The form did not carry this session's CSRF token. "
                                                   "Open the page again and resend it.")
                elif group and not page.may_open(group):
                    response = page.refuse(f"Your role ({page.user.role}) does not open this page.")
                else:
                    try:
                        response = await run_in_threadpool(handler, self, page, form, **request.path_params)
                    except Refused as refused:
                        response = refused.response
                if page.session is not None and page.session.is_new:
                    sessions.set_cookie(response, page.session, secure=request.url.scheme == "https")
                return response
            finally:
                page.con.close()
        return wrapper
    return decorate


def safe_next(target) -> str:
    """Only a path of this site after login (never another host)."""
    target = str(target or "")
    return target if target.startswith("/") and not target.startswith("//") else "/runs"
