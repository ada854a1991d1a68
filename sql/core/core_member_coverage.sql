-- Days with Part D coverage in any contract, as non-overlapping islands per member (spans of
-- different contracts may overlap or touch; they are merged so that no day is counted twice:
-- interval_islands, sql/_macros.sql).
WITH span AS (
    SELECT member_id AS k, span_start AS s, span_end AS e FROM core_member_span
)
SELECT k AS member_id, island_start, island_end
FROM interval_islands('span')
