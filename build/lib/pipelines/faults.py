"""Fault injection for the reliability tests: ``MTM_FAULT_AT=<asset>`` makes that asset fail as it starts.

``MTM_FAULT=raise`` (default) raises :class:`InjectedFault`; ``MTM_FAULT=kill`` sends the process SIGKILL,
as a power cut or an out-of-memory kill would. Unset, it costs one dictionary lookup per asset.
"""

from __future__ import annotations

import os
import signal


class InjectedFault(RuntimeError):
    pass


def at(step: str) -> None:
    if os.environ.get("MTM_FAULT_AT") != step:
        return
    if os.environ.get("MTM_FAULT", "raise") == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedFault(f"injected fault at {step} (MTM_FAULT_AT)")
