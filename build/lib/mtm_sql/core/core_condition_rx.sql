-- Condition evidence from drugs (targeting-rules.md section 4): at least two counted fills on
-- different dates in the last rx_condition_lookback_days of drugs that are evidence of the condition
-- (different drugs of one condition pool). Locally used products are never evidence.
WITH p AS (SELECT * FROM run_parameters),
evidence_fills AS (
    SELECT DISTINCT f.member_id, a.core_condition, f.claim_id, f.fill_date
    FROM (SELECT *, unnest(atc_codes) AS atc_code FROM core_fill) AS f
    CROSS JOIN p
    JOIN core_atc_condition AS a ON a.atc_code = f.atc_code
    WHERE f.fill_status = 'counted'
      AND NOT f.local_use
      AND f.fill_date BETWEEN p.as_of_date - (p.rx_condition_lookback_days - 1) AND p.as_of_date
)
SELECT
    member_id,
    core_condition,
    'rx'                         AS source,
    min(fill_date)               AS first_evidence_date,
    max(fill_date)               AS last_evidence_date,
    count(DISTINCT claim_id)     AS evidence_count
FROM evidence_fills
GROUP BY member_id, core_condition
HAVING count(DISTINCT fill_date) >= 2
