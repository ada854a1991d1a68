"""Sessions and CSRF tokens, kept server-side in the portal file.

The cookie holds a random token only (HttpOnly, SameSite=Lax, Secure over TLS); the file holds its
SHA-256, the user once logged in, and the session's CSRF token that every form carries.  A visitor gets
an anonymous session at the login form (so the login form has a CSRF token too); logging in replaces it
with a new one (no session fixation).  Sessions end after 30 idle minutes or 12 hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

from pipelines.portal.store import now_utc

COOKIE = "mtm_session"
IDLE = dt.timedelta(minutes=30)
LIFETIME = dt.timedelta(hours=12)


@dataclass
class Session:
    token: str
    username: str | None
    csrf_token: str
    is_new: bool = False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load(con: sqlite3.Connection, token: str | None) -> Session | None:
    if not token:
        return None
    row = con.execute("SELECT * FROM sessions WHERE token_hash = ?", (_hash(token),)).fetchone()
    if row is None:
        return None
    now = dt.datetime.now(dt.UTC)
    if (now - dt.datetime.fromisoformat(row["last_seen"]) > IDLE
            or now - dt.datetime.fromisoformat(row["created_at"]) > LIFETIME):
        con.execute("DELETE FROM sessions WHERE token_hash = ?", (row["token_hash"],))
        return None
    con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now_utc(), row["token_hash"]))
    return Session(token, row["username"], row["csrf_token"])


def create(con: sqlite3.Connection, username: str | None) -> Session:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = now_utc()
    stale = (dt.datetime.now(dt.UTC) - IDLE).isoformat(timespec="seconds")
    con.execute("DELETE FROM sessions WHERE last_seen < ?", (stale,))  # expired ones, e.g. abandoned login forms
    con.execute("INSERT INTO sessions (token_hash, username, csrf_token, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                (_hash(token), username, csrf, now, now))
    return Session(token, username, csrf, is_new=True)


def end(con: sqlite3.Connection, session: Session | None) -> None:
    if session is not None:
        con.execute("DELETE FROM sessions WHERE token_hash = ?", (_hash(session.token),))


def csrf_ok(session: Session | None, submitted: object) -> bool:
    """The form's token (a form field may also be a file: never a token) is the session's."""
    return (session is not None and isinstance(submitted, str) and bool(submitted)
            and hmac.compare_digest(session.csrf_token, submitted))


def set_cookie(response, session: Session, secure: bool) -> None:
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="lax", secure=secure, path="/",
                        max_age=int(LIFETIME.total_seconds()))
