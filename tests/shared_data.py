"""The shared specification and public reference data beside the project (``../shared``).

Tests that read them fail with a message saying what is missing and where it was looked for; they never
skip silently (CI lays ``shared/`` beside the clone, as every developer machine has it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: these tests read the shared specification and reference data, "
                    "which belong beside the project as ../shared (see README).", pytrace=False)
    return path
