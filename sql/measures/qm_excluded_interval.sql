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
span AS (
    SELECT {'member_id': member_id, 'contract_id': contract_id} AS k, span_start AS s, span_end AS e
    FROM core_member_span
),
contract_span AS (  -- the contract's spans merged (interval_islands), each after the end of the one before
    SELECT k.member_id, k.contract_id, island_start AS span_start,
           lag(island_end) OVER (PARTITION BY k ORDER BY island_start) AS previous_end
    FROM interval_islands('span')
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
removed AS (
    SELECT {'member_id': member_id, 'contract_id': contract_id} AS k, ex_start AS s, ex_end AS e FROM raw_interval
)
SELECT k.member_id, k.contract_id, island_start AS ex_start, island_end AS ex_end,
       date_diff('day', island_start, island_end) + 1 AS days
FROM interval_islands('removed')
