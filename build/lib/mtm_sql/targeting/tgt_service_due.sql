-- Services due at D per member enrolled in MTM (targeting-rules.md section 7): what the outreach list
-- is made of. One row per member x service. Members are taken from the MTM ledger of their contract at
-- D (tgt_mtm_enrollment.mtm_enrolled, so opted-out, dead and disenrolled members are never listed) and
-- must be enrolled in Part D in that contract on D. Events: every mtm_event of the member up to D (all
-- history, stg_mtm_event, not only the contract year).
--   cmr_initial    no CMR offer since mtm_enrollment_date; due = mtm_enrollment_date + 60 days.
--                  A recorded cmr_completed counts as an offer (a CMR that was done was offered).
--   cmr_annual     an offer since enrollment, but the last offer is more than 365 days before D;
--                  due = last offer + 365 days. (With a ledger that starts afresh every contract year
--                  an offer since enrollment is never that old: this fires only for older ledgers.)
--   cmr_follow_up  the last cmr_offered since enrollment has no cmr_completed on or after it, and more
--                  than 30 days have passed (D >= offer + 31); due = offer + 30 days. Listed until a
--                  cmr_completed is recorded or the member opts out.
--   tmr            no tmr_completed or cmr_completed in the calendar quarter of D;
--                  due = the last day of that quarter.
-- Hospice members are listed (ranked at the bottom of each list, tgt_service_priority) unless
-- outreach_include_hospice = false. Contact notes: under 18 'contact a guardian', long-term-care
-- resident 'contact through the facility', hospice 'in hospice'.
WITH p AS (
    SELECT *,
           CAST(date_trunc('quarter', as_of_date) AS DATE) AS quarter_start,
           CAST(date_trunc('quarter', as_of_date) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS quarter_end
    FROM run_parameters
),
enrolled AS (
    SELECT e.member_id, e.contract_id, m.pbp_id, e.mtm_enrollment_date, m.age, m.hospice, m.ltc_resident
    FROM tgt_mtm_enrollment AS e
    JOIN core_member AS m ON m.member_id = e.member_id AND m.contract_id = e.contract_id
    CROSS JOIN p
    WHERE e.mtm_enrolled AND m.enrolled
      AND (p.outreach_include_hospice OR NOT m.hospice)
),
history AS (
    SELECT
        n.member_id,
        n.contract_id,
        max(v.event_date) FILTER (WHERE v.event_type IN ('cmr_offered', 'cmr_completed')
                                    AND v.event_date >= n.mtm_enrollment_date) AS last_offer_since_enrollment,
        max(v.event_date) FILTER (WHERE v.event_type IN ('cmr_offered', 'cmr_completed')) AS last_offer,
        max(v.event_date) FILTER (WHERE v.event_type = 'cmr_offered'
                                    AND v.event_date >= n.mtm_enrollment_date) AS last_cmr_offered,
        max(v.event_date) FILTER (WHERE v.event_type = 'cmr_completed') AS last_cmr_completed,
        max(v.event_date) FILTER (WHERE v.event_type IN ('tmr_completed', 'cmr_completed')
                                    AND v.event_date >= p.quarter_start) AS last_review_this_quarter
    FROM enrolled AS n
    CROSS JOIN p
    LEFT JOIN stg_mtm_event AS v ON v.member_id = n.member_id AND v.event_date <= p.as_of_date
    GROUP BY n.member_id, n.contract_id
),
due AS (
    SELECT h.member_id, h.contract_id, 'cmr_initial' AS service, 1 AS service_order,
           n.mtm_enrollment_date + 60 AS due_date, CAST(NULL AS DATE) AS offer_date
    FROM history AS h JOIN enrolled AS n USING (member_id, contract_id)
    WHERE h.last_offer_since_enrollment IS NULL
    UNION ALL
    SELECT h.member_id, h.contract_id, 'cmr_annual', 2, h.last_offer + 365, h.last_offer
    FROM history AS h CROSS JOIN p
    WHERE h.last_offer_since_enrollment IS NOT NULL AND h.last_offer < p.as_of_date - 365
    UNION ALL
    SELECT h.member_id, h.contract_id, 'cmr_follow_up', 3, h.last_cmr_offered + 30, h.last_cmr_offered
    FROM history AS h CROSS JOIN p
    WHERE h.last_cmr_offered IS NOT NULL
      AND (h.last_cmr_completed IS NULL OR h.last_cmr_completed < h.last_cmr_offered)
      AND p.as_of_date >= h.last_cmr_offered + 31
    UNION ALL
    SELECT h.member_id, h.contract_id, 'tmr', 4, p.quarter_end, CAST(NULL AS DATE)
    FROM history AS h CROSS JOIN p
    WHERE h.last_review_this_quarter IS NULL
)
SELECT
    d.member_id,
    d.contract_id,
    n.pbp_id,
    d.service,
    d.service_order,
    d.due_date,
    date_diff('day', p.as_of_date, d.due_date)                         AS days_until_due,
    d.offer_date,
    n.mtm_enrollment_date,
    n.age,
    n.hospice,
    n.ltc_resident,
    coalesce(concat_ws('; ',
        CASE WHEN n.age < 18 THEN 'contact a guardian' END,
        CASE WHEN n.ltc_resident THEN 'contact through the facility' END,
        CASE WHEN n.hospice THEN 'in hospice' END), '')                AS contact_note
FROM due AS d
JOIN enrolled AS n USING (member_id, contract_id)
CROSS JOIN p
