-- Condition evidence from drugs (targeting-rules.md section 4), from the evidence fills of
-- core_condition_rx_fill: at least two fills on different dates (different drugs of one condition pool).
SELECT
    member_id,
    core_condition,
    'rx'                         AS source,
    min(fill_date)               AS first_evidence_date,
    max(fill_date)               AS last_evidence_date,
    count(DISTINCT claim_id)     AS evidence_count
FROM core_condition_rx_fill
GROUP BY member_id, core_condition
HAVING count(DISTINCT fill_date) >= 2
