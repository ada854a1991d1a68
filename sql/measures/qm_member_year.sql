-- The measurement-year population of the PQA measures (targeting-rules.md section 9), one row per member x
-- contract: every known member with Part D coverage on some day of the measurement year so far (1 January of
-- CY .. D) in that contract, alive on 1 January. A member who changes contracts in the year is measured in
-- each contract for the days of their span in it (section 9, 2026-12-07; issue 25 item 12): fills count
-- toward the contract whose span covers the fill date (core_year_fill.contract_id).
--   contract_id / pbp_id  the contract, and the PBP of its latest-starting span that covers a day of the year
--   age                   age on 1 January of the measurement year (each measure applies its own limits)
--   period_end            the end of the member's measure period in that contract: D, or earlier at death
--                         or at the last day of Part D coverage in the contract (disenrollment, or a move
--                         to another contract)
--   period_open           the period still runs at D (the member can still refill before 31 December)
--   hospice, esrd         the status held at ANY time in the measurement year (the member's, in every
--                         contract): dated member_status rows (where that file was delivered), else the
--                         eligibility flags for their span's dates; hospice also from hospice claims dated
--                         in the year
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
contract_in_year AS (
    SELECT s.member_id, s.contract_id,
           arg_max(s.pbp_id, (s.span_start, s._seq))          AS pbp_id,
           max(least(s.span_end, p.as_of_date))                AS last_covered_day
    FROM core_member_span AS s, p
    WHERE s.span_start <= p.as_of_date AND s.span_end >= p.cy_start
    GROUP BY s.member_id, s.contract_id
),
status_in_year AS (
    SELECT s.member_id, s.status
    FROM stg_member_status AS s, p
    WHERE p.member_status_delivered
      AND s.status_start_date <= p.as_of_date
      AND coalesce(s.status_end_date, DATE '9999-12-31') >= p.cy_start
    UNION
    SELECT e.member_id, flag.status
    FROM stg_eligibility AS e, p, (VALUES ('hospice'), ('esrd')) AS flag(status)
    WHERE NOT p.member_status_delivered
      AND e.enrollment_start_date <= p.as_of_date
      AND coalesce(e.enrollment_end_date, DATE '9999-12-31') >= p.cy_start
      AND CASE flag.status WHEN 'hospice' THEN e.hospice ELSE e.esrd END
    UNION
    SELECT c.member_id, 'hospice'
    FROM stg_medical_claim AS c, p
    WHERE c.claim_type = 'hospice'
      AND c.claim_start_date <= p.as_of_date
      AND coalesce(c.claim_end_date, c.claim_start_date) >= p.cy_start
)
SELECT
    s.member_id,
    s.contract_id,
    s.pbp_id,
    m.birth_date,
    m.death_date,
    age_on(m.birth_date, p.cy_start)                                          AS age,
    least(p.as_of_date, coalesce(m.death_date, p.as_of_date), s.last_covered_day) AS period_end,
    least(p.as_of_date, coalesce(m.death_date, p.as_of_date), s.last_covered_day) = p.as_of_date
        AND (m.death_date IS NULL OR m.death_date > p.as_of_date)             AS period_open,
    EXISTS (SELECT 1 FROM status_in_year AS x WHERE x.member_id = s.member_id AND x.status = 'hospice') AS hospice,
    EXISTS (SELECT 1 FROM status_in_year AS x WHERE x.member_id = s.member_id AND x.status = 'esrd')    AS esrd
FROM contract_in_year AS s
CROSS JOIN p
JOIN core_member AS m ON m.member_id = s.member_id
WHERE m.death_date IS NULL OR m.death_date >= p.cy_start
