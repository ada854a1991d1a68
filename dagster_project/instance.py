"""The Dagster instance `mtm run` executes in: Dagster's ephemeral one, with its in-memory SQLite storages
kept on one connection.

A run writes ~600 events (several per step) and reads data versions before each step. Dagster's
in-memory event and run storages open a new SQLite connection, and set two PRAGMAs, for every read and
write (``NullPool``): ~3,500 connections in a run, a measurable share of its fixed cost (issue 19). Here
each storage keeps the connection it already holds for its whole life and runs every call on it, each in
its own transaction as before. Nothing is persisted either way: the run's record is its run folder,
manifest and the warehouse's run report; the Dagster UI keeps its own persistent instance.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.events.log import EventLogEntry
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage

#: one instance per run; a lock shared by both storages only ever serialises what the run does in one thread
_LOCK = threading.RLock()


@contextmanager
def _on_held(conn) -> Iterator:
    with _LOCK:
        if conn.in_transaction():  # a call made while another is open (same thread): join its transaction
            yield conn
            return
        with conn.begin():
            yield conn


class HeldConnectionEventLog(InMemoryEventLogStorage):
    #: called with every stored event, in the run's own thread (``mtm run``'s progress display)
    on_event: Callable[[EventLogEntry], None] | None = None

    def _connect(self):
        return _on_held(self._held_conn)

    def store_event(self, event: EventLogEntry) -> None:
        super().store_event(event)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # noqa: BLE001 -- a progress display never fails a run
                logging.getLogger("mtm.progress").exception("progress display failed")


class HeldConnectionRunStorage(InMemoryRunStorage):
    def connect(self):
        return _on_held(self._held_conn)


def run_instance(on_event: Callable[[EventLogEntry], None] | None = None) -> dg.DagsterInstance:
    """What ``DagsterInstance.ephemeral()`` builds, with the held-connection storages; ``on_event`` sees
    each event as the run stores it (steps starting and finishing, materialisations with their rows)."""
    events = HeldConnectionEventLog()
    events.on_event = on_event
    return dg.DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=HeldConnectionRunStorage(),
        event_storage=events,
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )
