"""`mtm serve` and `mtm users` as a user runs them: real processes, the fixed interface of the issue."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def _env(**extra) -> dict:
    return {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1", **extra}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_users_commands_and_serve(tmp_path):
    home = tmp_path / "home"
    mtm = str(BIN / "mtm")
    added = subprocess.run([mtm, "users", "add", "maria", "--role", "outreach", "--contract", "h1234",
                            "--home", str(home)], capture_output=True, text=True, env=_env(MTM_PASSWORD="pw-long-1"))
    assert added.returncode == 0, added.stderr
    assert "Added maria (outreach; contracts: H1234)" in added.stdout
    with sqlite3.connect(home / "portal.sqlite") as db:  # the product's hasher (the suite's own: conftest.py)
        stored = db.execute("SELECT password_hash FROM users WHERE name = 'maria'").fetchone()[0]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    prompted = subprocess.run([mtm, "users", "add", "sam", "--role", "analyst", "--home", str(home)],
                              input="pw-long-2\npw-long-2\n", capture_output=True, text=True,
                              env={k: v for k, v in _env().items() if k != "MTM_PASSWORD"})
    assert prompted.returncode == 0, prompted.stderr
    bad = subprocess.run([mtm, "users", "add", "x", "--role", "admin", "--home", str(home)],
                         capture_output=True, text=True, env=_env(MTM_PASSWORD="pw-long-1"))
    assert bad.returncode != 0 and "admin" in bad.stderr
    short = subprocess.run([mtm, "users", "passwd", "sam", "--home", str(home)],
                           capture_output=True, text=True, env=_env(MTM_PASSWORD="short"))
    assert short.returncode != 0 and "at least 8 characters" in short.stderr
    listed = subprocess.run([mtm, "users", "list", "--home", str(home)], capture_output=True, text=True, env=_env())
    assert listed.stdout.splitlines() == ["maria\toutreach\tH1234", "sam\tanalyst\tall contracts"]
    removed = subprocess.run([mtm, "users", "remove", "maria", "--home", str(home)], capture_output=True,
                             text=True, env=_env())
    assert removed.returncode == 0

    port = _free_port()
    server = subprocess.Popen([mtm, "serve", "--port", str(port), "--home", str(home)], env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "mtm serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/runs").status_code == 303  # pages need a login
        assert httpx.get(f"http://127.0.0.1:{port}/runs/2025-09-30/outreach_list.csv").status_code == 303
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert "/healthz" not in out + err  # no access log
