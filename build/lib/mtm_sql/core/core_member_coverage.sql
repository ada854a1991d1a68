-- Days with Part D coverage in any contract, as non-overlapping islands per member (spans of
-- different contracts may overlap or touch; they are merged so that no day is counted twice).
WITH ordered AS (
    SELECT
        member_id, span_start, span_end,
        max(span_end) OVER (
            PARTITION BY member_id ORDER BY span_start, span_end
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS previous_end
    FROM core_member_span
),
marked AS (
    SELECT *,
        sum(CASE WHEN previous_end IS NULL OR span_start > previous_end + 1 THEN 1 ELSE 0 END)
            OVER (PARTITION BY member_id ORDER BY span_start, span_end) AS island
    FROM ordered
)
SELECT member_id, min(span_start) AS island_start, max(span_end) AS island_end
FROM marked
GROUP BY member_id, island
