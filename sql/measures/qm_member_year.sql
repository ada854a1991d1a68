-- The measurement-year population of the PQA measures (targeting-rules.md section 9): every known member
-- with Part D coverage on some day of the measurement year so far (1 January of CY .. D), alive on 1 January.
--   contract_id / pbp_id  the contract of the member's latest-starting span that covers a day of the year
--                         (a member who changed contracts is measured once, in the latest contract)
--   age                   age on 1 January of the measurement year (each measure applies its own limits)
--   period_end            the end of the member's measure period: D, or earlier at death or at the last
--                         day of Part D coverage (disenrollment)
--   period_open           the period still runs at D (the member can still refill before 31 December)
--   hospice, esrd         the status held at ANY time in the measurement year: dated member_status rows
--                         (where that file was delivered), else the eligibility flags for their span's
--                         dates; hospice also from hospice claims dated in the year
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
span_in_year AS (
    SELECT e.*
    FROM stg_eligibility AS e, p
    WHERE e.enrollment_start_date <= p.as_of_date
      AND coalesce(e.enrollment_end_date, DATE '9999-12-31') >= p.cy_start
    QUALIFY row_number() OVER (PARTITION BY e.member_id ORDER BY e.enrollment_start_date DESC, e._seq DESC) = 1
),
last_covered AS (
    SELECT c.member_id, max(least(c.island_end, p.as_of_date)) AS last_covered_day
    FROM core_member_coverage AS c, p
    WHERE c.island_start <= p.as_of_date AND c.island_end >= p.cy_start
    GROUP BY c.member_id
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
    least(p.as_of_date, coalesce(m.death_date, p.as_of_date), l.last_covered_day) AS period_end,
    least(p.as_of_date, coalesce(m.death_date, p.as_of_date), l.last_covered_day) = p.as_of_date
        AND (m.death_date IS NULL OR m.death_date > p.as_of_date)             AS period_open,
    EXISTS (SELECT 1 FROM status_in_year AS x WHERE x.member_id = s.member_id AND x.status = 'hospice') AS hospice,
    EXISTS (SELECT 1 FROM status_in_year AS x WHERE x.member_id = s.member_id AND x.status = 'esrd')    AS esrd
FROM span_in_year AS s
CROSS JOIN p
JOIN core_member AS m ON m.member_id = s.member_id
JOIN last_covered AS l ON l.member_id = s.member_id
WHERE m.death_date IS NULL OR m.death_date >= p.cy_start
