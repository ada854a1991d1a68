"""Small-cell suppression for aggregate outputs (targeting-rules.md section 10).

A count from 1 to 10 is shown as "<11" (the CMS cell-size rule).  A hidden cell must not be computable
from the cells around it: when a group of cells adds up to a total the reader also sees (the reasons
adding up to the enrollees, the contracts adding up to "all contracts"), and exactly one cell of that
group is hidden, the smallest other non-zero cell of the group is hidden too (complementary
suppression).  A cell can belong to several groups (a contract's row and a category's column); the rule
is applied until no group has a single hidden cell.  Zeros are shown: "<11" means 1 to 10.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

SUPPRESSED = "<11"
MIN_SHOWN = 11


def is_small(count: int | None) -> bool:
    return count is not None and 0 < count < MIN_SHOWN


def suppress_groups(counts: dict[Hashable, int], groups: Iterable[Sequence[Hashable]]) -> dict[Hashable, int | str]:
    """Every count, as shown: the count itself, or "<11" when it is small or would reveal a small one.

    ``groups`` lists the keys of cells that add up to a total the reader sees (the total's own key
    belongs in the group when it is shown).  Keys missing from ``counts`` are ignored.
    """
    hidden = {key for key, count in counts.items() if is_small(count)}
    groups = [[key for key in group if key in counts] for group in groups]
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden_here = [key for key in group if key in hidden]
            if len(hidden_here) != 1:
                continue
            candidates = [key for key in group if key not in hidden and counts[key] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda key: counts[key]))
                changed = True
    return {key: (SUPPRESSED if key in hidden else count) for key, count in counts.items()}


def suppress_small_counts(counts: Sequence[int]) -> list[int | str]:
    """One group of counts that add up to a shown total: small cells and their complement read "<11"."""
    shown = suppress_groups(dict(enumerate(counts)), [range(len(counts))])
    return [shown[i] for i in range(len(counts))]
