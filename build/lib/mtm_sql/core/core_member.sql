-- One row per known member: who they are on the as-of date D.
-- Contract and PBP at D: the latest-starting span that covers D. Death date: the earliest given.
-- Enrolled at D: a span covers D and the member is alive on D.
WITH p AS (SELECT * FROM run_parameters),
span_at_d AS (
    SELECT e.*
    FROM stg_eligibility AS e, p
    WHERE e.enrollment_start_date <= p.as_of_date
      AND coalesce(e.enrollment_end_date, DATE '9999-12-31') >= p.as_of_date
    QUALIFY row_number() OVER (PARTITION BY e.member_id ORDER BY e.enrollment_start_date DESC, e._seq DESC) = 1
),
latest_span AS (
    SELECT *
    FROM stg_eligibility
    QUALIFY row_number() OVER (PARTITION BY member_id ORDER BY enrollment_start_date DESC, _seq DESC) = 1
),
deaths AS (
    SELECT member_id, min(death_date) AS death_date FROM stg_eligibility GROUP BY member_id
)
SELECT
    l.member_id,
    coalesce(d.mbi, l.mbi)                                         AS mbi,
    d.contract_id,
    d.pbp_id,
    coalesce(d.birth_date, l.birth_date)                           AS birth_date,
    x.death_date,
    age_on(coalesce(d.birth_date, l.birth_date), p.as_of_date)     AS age,
    (d.member_id IS NOT NULL AND (x.death_date IS NULL OR x.death_date > p.as_of_date)) AS enrolled,
    coalesce(d.sex, l.sex)                                         AS sex,
    coalesce(d.preferred_language, l.preferred_language)           AS preferred_language,
    EXISTS (SELECT 1 FROM core_member_status s WHERE s.member_id = l.member_id AND s.status = 'hospice') AS hospice,
    EXISTS (SELECT 1 FROM core_member_status s WHERE s.member_id = l.member_id AND s.status = 'ltc_resident') AS ltc_resident,
    EXISTS (SELECT 1 FROM core_member_status s WHERE s.member_id = l.member_id AND s.status = 'esrd') AS esrd,
    EXISTS (SELECT 1 FROM core_member_status s WHERE s.member_id = l.member_id AND s.status = 'lis') AS lis
FROM latest_span AS l
CROSS JOIN p
LEFT JOIN span_at_d AS d ON d.member_id = l.member_id
LEFT JOIN deaths AS x ON x.member_id = l.member_id
