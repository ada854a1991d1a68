-- CMR completion rate (targeting-rules.md section 9), one row per MTM ledger row (member x contract) of
-- the contract year, i.e. every member who met the criteria and was enrolled in that contract's program:
--   denominator  age >= 18 on 1 January; enrolled >= 60 days (enrollment date .. opt-out date or D,
--                both days counted), or fewer days but a counted CMR; never in hospice in the year
--   numerator    >= 1 counted CMR (qm_cmr_event): a cmr_completed event of that contract dated in the year
--                up to D, on or after the ledger row's mtm_enrollment_date, with a written summary sent for
--                it (a summary_sent event of the contract on or after the CMR date) (section 9, 2026-12-07;
--                issue 25 item 10)
-- Reported beside the rate (program_metrics, by the month of the CMR): CMRs on or after the enrollment date
-- still waiting for their summary, and CMRs whose first summary was sent more than 14 days after them.
-- exclusion_reason says why a ledger member is outside the denominator: under_18, hospice,
-- enrolled_under_60_days (the first that applies).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
cmr AS (
    SELECT member_id, contract_id,
           count(*) FILTER (WHERE counted)                                  AS cmrs,
           count(*) FILTER (WHERE after_enrollment AND summary_date IS NULL) AS cmrs_awaiting_summary,
           count(*) FILTER (WHERE summary_late)                             AS cmrs_summary_after_14_days,
           count(*) FILTER (WHERE NOT after_enrollment)                     AS cmrs_before_enrollment,
           min(cmr_date) FILTER (WHERE counted)                             AS first_counted_cmr_date
    FROM qm_cmr_event
    GROUP BY member_id, contract_id
),
measured AS (
    SELECT l.member_id, l.contract_id,
           date_diff('day', l.mtm_enrollment_date, least(coalesce(l.opt_out_date, p.as_of_date), p.as_of_date)) + 1
                                                          AS days_enrolled,
           coalesce(c.cmrs, 0)                            AS cmrs,
           coalesce(c.cmrs_awaiting_summary, 0)           AS cmrs_awaiting_summary,
           coalesce(c.cmrs_summary_after_14_days, 0)      AS cmrs_summary_after_14_days,
           coalesce(c.cmrs_before_enrollment, 0)          AS cmrs_before_enrollment,
           c.first_counted_cmr_date,
           age_on(m.birth_date, p.cy_start)               AS age,
           coalesce(y.hospice, m.hospice)                 AS hospice
    FROM tgt_mtm_enrollment AS l
    CROSS JOIN p
    JOIN core_member AS m ON m.member_id = l.member_id
    LEFT JOIN qm_member_year AS y ON y.member_id = l.member_id AND y.contract_id = l.contract_id
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
       cmrs::INTEGER                            AS cmrs,
       cmrs_awaiting_summary::INTEGER           AS cmrs_awaiting_summary,
       cmrs_summary_after_14_days::INTEGER      AS cmrs_summary_after_14_days,
       cmrs_before_enrollment::INTEGER          AS cmrs_before_enrollment,
       first_counted_cmr_date
FROM classified
