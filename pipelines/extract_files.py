"""Finding the files of each canonical table in an extract folder.

A table is one file or several with the same stem and a numeric suffix (``pharmacy_claim_001.parquet``),
as CSV (plain or gzip) or Parquet.  Files are read in name order, and deliveries in the order given, so
"row order" (the version tie-breaker) is well defined.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path
    fmt: str  # "csv" or "parquet"

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def _file_pattern(table: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(table)}(_\d+)?(\.csv\.gz|\.csv|\.parquet)$", re.IGNORECASE)


def find_table_files(extract_dir: Path, table: str) -> list[SourceFile]:
    pattern = _file_pattern(table)
    found = []
    for path in sorted(Path(extract_dir).iterdir()):
        match = pattern.match(path.name)
        if match and path.is_file():
            fmt = "parquet" if match.group(2).lower() == ".parquet" else "csv"
            found.append(SourceFile(table, path, fmt))
    return found


#: contacts recorded in the portal (`mtm serve`), read by every run of the home after the extract's mtm_event
RECORDED_EVENTS_DIR = "events"
RECORDED_EVENTS_FILE = "portal_mtm_event.csv"


def recorded_event_files(home: Path) -> list[SourceFile]:
    """The portal's recorded-contacts file of a home, when there is one (an mtm_event delivery of its own)."""
    path = Path(home) / RECORDED_EVENTS_DIR / RECORDED_EVENTS_FILE
    return [SourceFile("mtm_event", path, "csv")] if path.is_file() else []
