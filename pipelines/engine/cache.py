"""An on-disk cache for what every run derives again from files that rarely change.

Start-up of `mtm run` re-derived, in every process, things that depend only on shipped files and on the
installed libraries: the tables each SQL model reads (sqlglot parsing all models, ~1-2 s) and the
dashboard's Vega JavaScript bundle (vl-convert building it, ~4-5 s). Each is kept here under a key that
hashes everything it depends on, so a changed model, macro file or library version simply misses.
A cache that cannot be read or written is skipped (the value is computed, as without it).

Location: ``$MTM_CACHE_DIR``, else ``$XDG_CACHE_HOME/mtm-targeting``, else ``~/.cache/mtm-targeting``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("MTM_CACHE_DIR"):
        return Path(os.environ["MTM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mtm-targeting"


def cached_text(name: str, key: str, compute: Callable[[], str]) -> str:
    """The text ``compute()`` returns, kept in ``<cache>/<name>-<hash of key>``."""
    path = cache_dir() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError:
        pass
    return text
