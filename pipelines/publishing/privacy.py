"""Small-cell suppression for every aggregate output (targeting-rules.md section 10).

The rule: no aggregate shows a count between 1 and 10 -- such a cell reads ``<11`` (the CMS cell-size
rule) -- and no hidden cell may be *derived* from what is shown: when cells are bound by an equation
(parts and their total, numerator + non-numerator = denominator, cumulative(m) = cumulative(m-1) +
new(m), a value and its change against a baseline), hiding one cell of the equation is not enough, so a
second ("complementary") cell is hidden too.

How to use it (the dashboard and every metrics file do the same):

1. Put the counts in a long polars frame, one row per cell, with a numeric column (``value``) and an
   optional boolean column ``published`` (False for cells that are not shown but are implied by an
   equation, e.g. the non-numerator of a rate; they are protected when small, never "hidden" to help).
2. Describe the equations as groups of row indices, each group the cells of one linear equation.
   :func:`groups_by` builds them from key columns (rows sharing the keys form one group).
3. :func:`suppress` returns the frame with a ``suppression`` column: ``None`` (shown), ``"primary"``
   (1..10) or ``"complementary"``; :func:`display` renders a cell as text (``<11`` for primary,
   ``suppressed`` for complementary cells, which are not small and must not claim to be).

The algorithm repeats until stable: take the cells a reader knows (shown cells), derive every cell that
is the only unknown one of an equation, and when a derived cell is protected (a small count, published
or not, or a suppressed cell) hide a shown non-zero cell of that equation (the one in fewest equations,
then the smallest).  Rates must be hidden by the caller whenever their numerator or denominator is
hidden (a rate and its denominator give the numerator back).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars loads in ~1 s: imported where a frame is built, not at `mtm run` start
    import polars as pl

SMALL_MAX = 10
SMALL_LABEL = "<11"
COMPLEMENTARY_LABEL = "suppressed"
#: what a hidden cell reads in a published file
HIDDEN_LABELS = (SMALL_LABEL, COMPLEMENTARY_LABEL)


def is_small(value: float | int | None) -> bool:
    """A count of 1..10 (in magnitude: a change of -4 members is four members)."""
    return value is not None and 1 <= abs(value) <= SMALL_MAX


def groups_by(frame: pl.DataFrame, keys: Sequence[str], where: pl.Expr | None = None) -> list[list[int]]:
    """Row indices of ``frame`` grouped by ``keys`` (rows where ``where`` holds): one equation each."""
    import polars as pl
    indexed = frame.with_row_index("_row")
    if where is not None:
        indexed = indexed.filter(where)
    grouped = indexed.group_by(list(keys), maintain_order=True).agg(pl.col("_row"))
    return [list(rows) for rows in grouped["_row"].to_list() if len(rows) > 1]


def suppress(frame: pl.DataFrame, groups: Iterable[Sequence[int]] = (), value: str = "value",
             published: str | None = "published") -> pl.DataFrame:
    """Return ``frame`` with a ``suppression`` column (None, "primary", "complementary")."""
    import polars as pl
    values = frame[value].to_list()
    shown = (frame[published].to_list() if published and published in frame.columns
             else [True] * len(values))
    groups = [list(g) for g in groups]
    state: list[str | None] = ["primary" if shown[i] and is_small(v) else None for i, v in enumerate(values)]

    memberships = [0] * len(values)  # a cell shared by many equations costs more cells when hidden
    for g in groups:
        for i in g:
            memberships[i] += 1

    def protected(i: int) -> bool:
        return state[i] is not None or is_small(values[i])

    while True:
        known = {i for i in range(len(values)) if shown[i] and state[i] is None}
        leak = None
        progress = True
        while progress and leak is None:
            progress = False
            for g in groups:
                unknown = [i for i in g if i not in known]
                if len(unknown) == 1:
                    known.add(unknown[0])
                    progress = True
                    if protected(unknown[0]):
                        leak = g
                        break
        if leak is None:
            break
        candidates = [i for i in leak if shown[i] and state[i] is None]
        if not candidates:  # the other cells were derived through other equations: hide one of theirs
            linked = {i for g in groups if set(g) & set(leak) for i in g}
            candidates = [i for i in sorted(linked) if shown[i] and state[i] is None]
            if not candidates:
                raise ValueError("suppression cannot protect a cell: no shown cell left to hide")
        pick = min(candidates, key=lambda i: (values[i] in (0, None), memberships[i], abs(values[i] or 0), i))
        state[pick] = "complementary"
    return frame.with_columns(pl.Series("suppression", state, dtype=pl.Utf8))


def display(value: float | int | None, suppression: str | None, decimals: int | None = None) -> str:
    """The text a published cell shows: the number, ``<11``, ``suppressed`` or empty for no value."""
    if suppression == "primary":
        return SMALL_LABEL
    if suppression == "complementary":
        return COMPLEMENTARY_LABEL
    if value is None:
        return ""
    if decimals is None:
        return str(int(value)) if float(value).is_integer() else str(value)
    return f"{float(value):.{decimals}f}"


# -- the same rule for counts held in a dict (the dashboard's panels) -------------------------------------------

SUPPRESSED = SMALL_LABEL


def suppress_groups(counts: dict[Hashable, int], groups: Iterable[Sequence[Hashable]],
                    unpublished: Iterable[Hashable] = ()) -> dict[Hashable, int | str]:
    """Every count as shown: the count, ``<11`` (a small count) or ``suppressed`` (its complement).

    ``groups`` lists the keys of cells bound by one equation (parts adding up to a total the reader sees; the
    total's own key belongs in the group when it is shown). Keys missing from ``counts`` are ignored.
    ``unpublished`` keys are cells the page does not show but an equation implies (e.g. enrolled but not
    offered, the difference of two shown steps): protected when small, left out of the result. The
    algorithm is :func:`suppress`, so the dashboard hides exactly what the metrics files hide.
    """
    import polars as pl
    keys = list(counts)
    index = {key: i for i, key in enumerate(keys)}
    by_index = [[index[key] for key in group if key in index] for group in groups]
    implied = set(unpublished)
    frame = pl.DataFrame({"value": [counts[key] for key in keys], "published": [key not in implied for key in keys]},
                         schema={"value": pl.Int64, "published": pl.Boolean})
    states = suppress(frame, [g for g in by_index if len(g) > 1])["suppression"].to_list()
    return {key: (counts[key] if state is None else display(None, state))
            for key, state in zip(keys, states, strict=True) if key not in implied}


def suppress_small_counts(counts: Sequence[int]) -> list[int | str]:
    """One group of counts that add up to a shown total: small cells and their complement hidden."""
    shown = suppress_groups(dict(enumerate(counts)), [range(len(counts))])
    return [shown[i] for i in range(len(counts))]
