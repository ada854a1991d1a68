"""Finding the files of each canonical table in an extract folder.

A table is one file or several with the same stem and a numeric suffix (``pharmacy_claim_001.parquet``),
as CSV (plain or gzip) or Parquet.  Files are read in name order, and deliveries in the order given, so
"row order" (the version tie-breaker) is well defined.

A delivery must be complete and at rest when a run reads it (docs/reliability.md): a file whose size or
modification time changes between discovery and the end of reading stops the run ("still being
written"), a truncated gzip stops it, and a name that matches a table but is not a readable regular file
(a symlink loop, a dangling link, a folder) stops it too instead of being skipped silently.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.run_state.errors import InputFileError

SUFFIXES = (".csv.gz", ".csv", ".parquet")


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path
    fmt: str  # "csv" or "parquet"
    #: (size, mtime_ns) when the file was found: compared again after reading (see assert_unchanged)
    stamp: tuple[int, int] = field(default=(0, 0), compare=False)

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def assert_unchanged(self) -> None:
        """Stop when the file changed while it was read: a half-written delivery is never used."""
        if file_stamp(self.path) != self.stamp:
            raise InputFileError(self.path.name, "file changed while it was being read (still being written?)",
                                 expected="a complete delivery: write the files first, then start the run")

    def verify_gzip(self) -> None:
        """DuckDB reads a truncated gzip up to the cut without an error; a full decompression pass detects it.

        The same pass measures the last line: DuckDB also drops a final line longer than its buffer (about
        32 MB) without an error, which ``readers._check_last_line`` measures from the end of a plain CSV; a
        .csv.gz cannot be read backwards, so it is measured here, with no second decompression."""
        if not self.path.name.lower().endswith(".gz"):
            return
        newlines, current, previous = 0, 0, 0  # line breaks seen; bytes since the last; the last full line
        try:
            with gzip.open(self.path, "rb") as fh:
                while chunk := fh.read(1 << 22):
                    count = chunk.count(b"\n")
                    if not count:
                        current += len(chunk)
                        continue
                    last = chunk.rfind(b"\n")
                    previous = current + last if count == 1 else last - chunk.rfind(b"\n", 0, last) - 1
                    newlines, current = newlines + count, len(chunk) - last - 1
        except (EOFError, OSError, zlib.error) as exc:
            raise InputFileError(self.path.name, f"truncated or corrupt gzip file ({exc})",
                                 expected="a complete .csv.gz (compare its size with the sender's)") from exc
        length, line = (current, newlines + 1) if current else (previous, newlines)
        if length > MAX_LINE_BYTES:
            raise long_last_line(self.path.name, line)


#: DuckDB's max_line_size; a longer last line is dropped by DuckDB without an error when it exceeds its buffer
MAX_LINE_BYTES = 2_000_000


def long_last_line(file: str, line: int) -> InputFileError:
    return InputFileError(file, f"line {line} (the header is line 1): the last line is longer than the 2 MB limit "
                          "(a missing newline or an unterminated quote?)")


def file_stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _file_pattern(table: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(table)}(_\d+)?(\.csv\.gz|\.csv|\.parquet)$", re.IGNORECASE)


def _entries(extract_dir: Path) -> list[Path]:
    try:
        return sorted(Path(extract_dir).iterdir())
    except OSError as exc:
        raise InputFileError(str(extract_dir), f"extract folder cannot be listed ({exc.strerror})") from exc


def find_table_files(extract_dir: Path, table: str) -> list[SourceFile]:
    pattern = _file_pattern(table)
    found: list[SourceFile] = []
    parts: dict[str, str] = {}
    for path in _entries(extract_dir):
        match = pattern.match(path.name)
        if not match:
            continue
        try:
            if not path.is_file():
                raise OSError("not a regular file")
            stamp = file_stamp(path)
        except OSError as exc:
            raise InputFileError(path.name, "matches a table name but is not a readable file "
                                 f"(a folder, a dangling symlink or a symlink loop: {exc})") from exc
        part = (match.group(1) or "").lower()
        if part in parts:
            raise InputFileError(path.name, f"the same part of {table} is delivered twice, also as {parts[part]}",
                                 expected="one file per part (.csv, .csv.gz or .parquet, not several)")
        parts[part] = path.name
        fmt = "parquet" if match.group(2).lower() == ".parquet" else "csv"
        found.append(SourceFile(table, path, fmt, stamp))
    return found


#: contacts recorded in the portal (`mtm serve`), read by every run of the home after the extract's mtm_event
RECORDED_EVENTS_DIR = "events"
RECORDED_EVENTS_FILE = "portal_mtm_event.csv"


#: where a run reads its copy of the recorded-contacts file (one run at a time holds the home: one copy)
RECORDED_EVENTS_SNAPSHOT = ".recorded_events_snapshot"


def recorded_event_files(home: Path) -> list[SourceFile]:
    """The portal's recorded-contacts file of a home, when there is one (an mtm_event delivery of its own).

    The run reads a copy taken now, under its own name: the portal rewrites the file (a new file renamed
    over it) whenever a contact is recorded, and a run reading the live file while outreach records a contact
    failed with "file changed while it was being read" (found by the busy-morning test, issue 30). One open
    of the renamed-into-place file is always one complete version; contacts recorded after it reach the next
    run."""
    path = Path(home) / RECORDED_EVENTS_DIR / RECORDED_EVENTS_FILE
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return []
    folder = Path(home) / RECORDED_EVENTS_SNAPSHOT
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / RECORDED_EVENTS_FILE
    copy.write_bytes(content)
    return [SourceFile("mtm_event", copy, "csv", file_stamp(copy))]


def unrecognised_files(extract_dir: Path, tables) -> list[str]:
    """Files of a delivery that no table claims (a misspelt name is the usual cause of a 'missing' table)."""
    patterns = [_file_pattern(t) for t in tables]
    return [p.name for p in _entries(extract_dir)
            if p.name.lower().endswith(SUFFIXES) and not any(pt.match(p.name) for pt in patterns)]
