-- CMR completion rate (targeting-rules.md section 9), one row per MTM ledger row (member x contract) of
-- the contract year, i.e. every member who met the criteria and was enrolled in that contract's program:
--   denominator  age >= 18 on 1 January; enrolled >= 60 days (enrollment date .. opt-out date or D,
--                both days counted), or fewer days but a CMR received; never in hospice in the year
--   numerator    >= 1 cmr_completed event of that contract dated in the year up to D
-- exclusion_reason says why a ledger member is outside the denominator: under_18, hospice,
-- enrolled_under_60_days (the first that applies).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
cmr AS (
    SELECT member_id, contract_id, count(*) AS cmrs, min(event_date) AS first_cmr_date
    FROM tgt_mtm_event
    WHERE event_type = 'cmr_completed'
    GROUP BY member_id, contract_id
),
measured AS (
    SELECT l.member_id, l.contract_id,
           date_diff('day', l.mtm_enrollment_date, least(coalesce(l.opt_out_date, p.as_of_date), p.as_of_date)) + 1
                                                          AS days_enrolled,
           coalesce(c.cmrs, 0)                            AS cmrs,
           age_on(m.birth_date, p.cy_start)               AS age,
           coalesce(y.hospice, m.hospice)                 AS hospice
    FROM tgt_mtm_enrollment AS l
    CROSS JOIN p
    JOIN core_member AS m ON m.member_id = l.member_id
    LEFT JOIN qm_member_year AS y ON y.member_id = l.member_id
    LEFT JOIN cmr AS c ON c.member_id = l.member_id AND c.contract_id = l.contract_id
),
classified AS (
    SELECT *,
        CASE
            WHEN age < 18 THEN 'under_18'
            WHEN hospice THEN 'hospice'
            WHEN days_enrolled < 60 AND cmrs = 0 THEN 'enrolled_under_60_days'
        END AS exclusion_reason
    FROM measured
)
SELECT member_id, contract_id, 'cmr_completion' AS measure_id,
       exclusion_reason IS NULL                 AS in_denominator,
       exclusion_reason IS NULL AND cmrs >= 1   AS in_numerator,
       exclusion_reason,
       days_enrolled::INTEGER                   AS days_enrolled,
       cmrs::INTEGER                            AS cmrs
FROM classified
