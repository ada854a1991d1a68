"""Running the portal under uvicorn: no access log (URLs carry member ids), warnings only."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

from pipelines.portal.app import create_app


def config(home: Path, host: str, port: int, certfile: Path | None = None, keyfile: Path | None = None):
    return uvicorn.Config(
        create_app(home), host=host, port=port, access_log=False, log_level="warning",
        ssl_certfile=str(certfile) if certfile else None, ssl_keyfile=str(keyfile) if keyfile else None,
        server_header=False, proxy_headers=False,
    )


def serve(home: Path, host: str, port: int, certfile: Path | None = None, keyfile: Path | None = None) -> None:
    uvicorn.Server(config(home, host, port, certfile, keyfile)).run()


def serve_in_thread(home: Path, host: str = "127.0.0.1", port: int = 0) -> tuple[uvicorn.Server, str]:
    """Start the portal in a background thread (tests, screenshots); returns the server and its base URL."""
    import socket

    if port == 0:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
    server = uvicorn.Server(config(home, host, port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the portal did not start on {host}:{port}")
        time.sleep(0.05)
    return server, f"http://{host}:{port}"
