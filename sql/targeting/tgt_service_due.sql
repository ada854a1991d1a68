-- Services due at D per member enrolled in MTM (targeting-rules.md section 7): what the outreach list
-- (CMR services) and the pharmacist TMR worklist are made of. One row per member x service. Members are
-- taken from the MTM ledger of their contract at D (tgt_mtm_enrollment.mtm_enrolled, so opted-out, dead
-- and disenrolled members are never listed) and must be enrolled in Part D in that contract on D. Their
-- service history (events of that contract, a cmr_completed counting as an offer) is
-- tgt_member_service_history.
--   cmr_initial    no CMR offer since mtm_enrollment_date (not a rolled-over member);
--                  due = mtm_enrollment_date + 60 days.
--   cmr_annual     rolled-over member (enrollment_source = rollover) without an offer since 1 January:
--                  due = last offer + 365 days, at the latest 31 December (no offer ever: enrollment
--                  date + 60 days, as for a new enrollee). Other members: an offer since enrollment, but
--                  the last offer is more than 365 days before D (a seeded enrollment date over a year
--                  old); due = last offer + 365 days.
--   cmr_follow_up  the last cmr_offered since enrollment has no cmr_completed on or after it, and more
--                  than 30 days have passed (D >= offer + 31); due = offer + 30 days. Listed until a
--                  cmr_completed is recorded, the member declines or opts out.
--   (a cmr_declined of the contract year since enrollment stops all three CMR services for the CY)
--   tmr            no tmr_completed or cmr_completed in the calendar quarter of D; due = the last day of
--                  that quarter. A member enrolled in the last tmr_grace_days of the quarter of D
--                  (enrollment date >= quarter end - (tmr_grace_days - 1), "the last N days" of section 0)
--                  has the first TMR due in the next quarter.
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
    SELECT h.*, m.pbp_id, m.age, m.hospice, m.ltc_resident
    FROM tgt_member_service_history AS h
    JOIN core_member AS m ON m.member_id = h.member_id AND m.contract_id = h.contract_id
    CROSS JOIN p
    WHERE m.enrolled
      AND (p.outreach_include_hospice OR NOT m.hospice)
),
due AS (
    SELECT h.member_id, h.contract_id, 'cmr_initial' AS service, 1 AS service_order,
           h.mtm_enrollment_date + 60 AS due_date, CAST(NULL AS DATE) AS offer_date
    FROM enrolled AS h
    WHERE h.last_offer_since_enrollment IS NULL AND h.enrollment_source <> 'rollover'
      AND h.cmr_declined_date IS NULL
    UNION ALL
    SELECT h.member_id, h.contract_id, 'cmr_annual', 2,
           CASE WHEN h.last_offer_before_enrollment IS NULL THEN h.mtm_enrollment_date + 60
                ELSE least(h.last_offer_before_enrollment + 365, make_date(p.contract_year, 12, 31)) END,
           h.last_offer_before_enrollment
    FROM enrolled AS h CROSS JOIN p
    WHERE h.enrollment_source = 'rollover' AND h.last_offer_since_enrollment IS NULL
      AND h.cmr_declined_date IS NULL
    UNION ALL
    SELECT h.member_id, h.contract_id, 'cmr_annual', 2, h.last_offer + 365, h.last_offer
    FROM enrolled AS h CROSS JOIN p
    WHERE h.enrollment_source <> 'rollover' AND h.last_offer_since_enrollment IS NOT NULL
      AND h.last_offer < p.as_of_date - 365 AND h.cmr_declined_date IS NULL
    UNION ALL
    SELECT h.member_id, h.contract_id, 'cmr_follow_up', 3,
           h.last_cmr_offered_since_enrollment + 30, h.last_cmr_offered_since_enrollment
    FROM enrolled AS h CROSS JOIN p
    WHERE h.last_cmr_offered_since_enrollment IS NOT NULL
      AND (h.last_cmr_completed_date IS NULL OR h.last_cmr_completed_date < h.last_cmr_offered_since_enrollment)
      AND p.as_of_date >= h.last_cmr_offered_since_enrollment + 31
      AND h.cmr_declined_date IS NULL
    UNION ALL
    SELECT h.member_id, h.contract_id, 'tmr', 4, p.quarter_end, CAST(NULL AS DATE)
    FROM enrolled AS h CROSS JOIN p
    WHERE h.last_review_this_quarter IS NULL
      AND NOT (h.mtm_enrollment_date >= p.quarter_start
               AND h.mtm_enrollment_date >= p.quarter_end - (p.tmr_grace_days - 1))
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
    n.enrollment_source,
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
