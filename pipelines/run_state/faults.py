"""Fault injection for the reliability tests (docs/reliability.md), inert unless MTM_FAULT_AT is set.

``MTM_FAULT_AT=<point>`` makes the run fail when it reaches that point: ``MTM_FAULT=raise`` (default)
raises :class:`InjectedFault`; ``MTM_FAULT=kill`` sends the process SIGKILL, as a power cut or an
out-of-memory kill would; ``MTM_FAULT=enospc`` raises "No space left on device".  Points: every asset
as it starts (its name), and inside publishing: ``publish:manifest`` (manifest written),
``publish:ledger`` (inside the ledger transaction, old rows deleted, new ones not written),
``publish:committed`` (ledger committed, folder not renamed), ``publish:retired`` (re-publishing a date:
the old folder moved aside) and ``publish:renamed`` (folder renamed, ``runs/latest`` not yet moved); in the portal,
``contacts:events_file`` (a recorded contact: the new events file written, not yet committed).
Unset, it costs one dictionary lookup per point.
"""

from __future__ import annotations

import errno
import os
import signal

PUBLISH_POINTS = ("publish:manifest", "publish:ledger", "publish:committed", "publish:retired", "publish:renamed")


class InjectedFault(RuntimeError):
    pass


def at(step: str) -> None:
    if os.environ.get("MTM_FAULT_AT") != step:
        return
    kind = os.environ.get("MTM_FAULT", "raise")
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "enospc":
        raise OSError(errno.ENOSPC, f"No space left on device (injected at {step})")
    raise InjectedFault(f"injected fault at {step} (MTM_FAULT_AT)")
