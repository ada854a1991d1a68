"""Portal users: name, role, contracts, argon2 password hash (``mtm users add|remove|list|passwd``)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.portal.access import ROLES
from pipelines.portal.store import now_utc

_hasher = PasswordHasher()
#: verified against when the user name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a password of anyone")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD_LENGTH = 8


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    name: str
    role: str
    contracts: tuple[str, ...]  # empty: every contract

    def sees_contract(self, contract_id: str | None) -> bool:
        return not self.contracts or contract_id in self.contracts


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(con: sqlite3.Connection, name: str, role: str, contracts: list[str], password: str) -> User:
    if not NAME_PATTERN.match(name):
        raise UserError("a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    _check_password(password)
    ids = tuple(sorted({c.strip().upper() for c in contracts if c.strip()}))
    if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise UserError(f"user {name!r} exists already (use `mtm users passwd` or remove it first)")
    con.execute("INSERT INTO users (name, password_hash, role, contracts, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, _hasher.hash(password), role, " ".join(ids), now_utc()))
    return User(name, role, ids)


def remove_user(con: sqlite3.Connection, name: str) -> None:
    if con.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
        raise UserError(f"no user {name!r}")
    con.execute("DELETE FROM sessions WHERE username = ?", (name,))


def set_password(con: sqlite3.Connection, name: str, password: str) -> None:
    _check_password(password)
    if con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name)).rowcount == 0:
        raise UserError(f"no user {name!r}")
    con.execute("DELETE FROM sessions WHERE username = ?", (name,))  # a new password ends every open session


def list_users(con: sqlite3.Connection) -> list[User]:
    return [_user(r) for r in con.execute("SELECT name, role, contracts FROM users ORDER BY name")]


def get_user(con: sqlite3.Connection, name: str) -> User | None:
    row = con.execute("SELECT name, role, contracts FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def authenticate(con: sqlite3.Connection, name: str, password: str) -> User | None:
    row = con.execute("SELECT name, role, contracts, password_hash FROM users WHERE name = ?", (name,)).fetchone()
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (_hasher.hash(password), name))
    return _user(row)


def _user(row) -> User:
    return User(row["name"], row["role"], tuple(row["contracts"].split()))
