-- Days removed from a member's PDC periods (targeting-rules.md section 9), as disjoint date intervals
-- inside the measurement year up to the member's period end, per member x contract (a member who changes
-- contracts is measured in each contract for the days of their span in it: issue 25 item 12):
--   * inpatient and SNF stays (medical claims of type inpatient or snf, claim_start_date ..
--     claim_end_date, or the start date alone when no end is given): the IP/SNF adjustment;
--   * days without Part D coverage in the contract between two of its spans (a gap in enrollment is not
--     counted as uncovered: the member could not fill under the contract; the days spent in another
--     contract are such a gap, and they are measured there).
-- Overlapping or touching intervals are merged, so a day is removed once. qm_pdc_member counts days in
-- "measure days" that skip these intervals, which also carries a fill's supply over a stay.
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
contract_span AS (
    SELECT s.member_id, s.contract_id, s.span_start,
           max(s.span_end) OVER (PARTITION BY s.member_id, s.contract_id ORDER BY s.span_start, s.span_end
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM core_member_span AS s
),
raw_interval AS (
    SELECT y.member_id, y.contract_id,
           greatest(c.claim_start_date, p.cy_start)                              AS ex_start,
           least(coalesce(c.claim_end_date, c.claim_start_date), y.period_end)   AS ex_end
    FROM stg_medical_claim AS c
    CROSS JOIN p
    JOIN qm_member_year AS y ON y.member_id = c.member_id
    WHERE c.claim_type IN ('inpatient', 'snf')
    UNION ALL
    SELECT y.member_id, y.contract_id, greatest(s.previous_end + 1, p.cy_start), least(s.span_start - 1, y.period_end)
    FROM contract_span AS s
    CROSS JOIN p
    JOIN qm_member_year AS y ON y.member_id = s.member_id AND y.contract_id = s.contract_id
    WHERE s.span_start > s.previous_end + 1
),
ordered AS (
    SELECT *,
           max(ex_end) OVER (PARTITION BY member_id, contract_id ORDER BY ex_start, ex_end
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM raw_interval
    WHERE ex_start <= ex_end
),
grouped AS (
    SELECT *,
           sum(CASE WHEN previous_end IS NULL OR ex_start > previous_end + 1 THEN 1 ELSE 0 END)
               OVER (PARTITION BY member_id, contract_id ORDER BY ex_start, ex_end) AS grp
    FROM ordered
)
SELECT member_id, contract_id, min(ex_start) AS ex_start, max(ex_end) AS ex_end,
       date_diff('day', min(ex_start), max(ex_end)) + 1 AS days
FROM grouped
GROUP BY member_id, contract_id, grp
