"""NDC normalisation to the 11-digit 5-4-2 form used in claims (``PROD_SRVC_ID``).

The FDA publishes 10-digit NDCs in three hyphenated shapes; each becomes 11 digits by padding the
short segment with a leading zero.  An unhyphenated 10-digit string is ambiguous (which segment is
short?) and is refused rather than guessed.  The same rule is the DuckDB macro ``normalise_ndc`` of
``sql/_macros.sql`` (staging normalises millions of rows in SQL); a test keeps the two in agreement.
"""

from __future__ import annotations

import re

_WS = " \t\r\n"
_ELEVEN = re.compile(r"[0-9]{11}")
#: (segment lengths) -> which segment gets the leading zero (None = already 11 digits)
_SHAPES = {(4, 4, 2): 0, (5, 3, 2): 1, (5, 4, 1): 2, (5, 4, 2): None}
_HYPHENATED = re.compile(r"([0-9]+)-([0-9]+)-([0-9]+)")


def normalise_ndc(text: object) -> str | None:
    """11-digit NDC for ``text``, or None when it is not an NDC in a recognised shape."""
    if text is None:
        return None
    value = str(text).strip(_WS)
    if _ELEVEN.fullmatch(value):
        return value
    match = _HYPHENATED.fullmatch(value)
    if not match:
        return None
    parts = list(match.groups())
    shape = tuple(len(p) for p in parts)
    if shape not in _SHAPES:
        return None
    pad = _SHAPES[shape]
    if pad is not None:
        parts[pad] = "0" + parts[pad]
    return "".join(parts)
