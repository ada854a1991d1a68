-- dashboard_counts: the member counts behind the program dashboard (outputs.md, dashboard.html), one row
-- per contract x panel x category x status. Exact counts, no member ids: the dashboard builder suppresses
-- small cells (targeting-rules.md section 10) on the shareable page only.
-- One source table per concept (issue 26 item 2), the same the run summary and the run's files read:
--   funnel   Part D enrollees at D -> meets conditions / drugs / cost -> meets the MTM criteria
--            (member_summary, like the run summary's "meeting the MTM criteria")
--   program  the contract year's MTM program (sections 6 and 9):
--              enrolled_this_year  ledger rows of the CY (tgt_mtm_enrollment), opt-outs included: the last
--                                  point of program_metrics' mtm_enrolled_cumulative
--              mtm_enrolled        enrolled at D (member_summary; the run summary's "MTM enrolled")
--              enrolled_not_meeting_criteria  of those, members who no longer meet the criteria at D (the
--                                  ledger keeps them enrolled for the year: why enrolled may exceed the funnel)
--              cmr_offered         ledger rows with a cmr_offered or cmr_completed event of the contract
--              cmr_completed       ledger rows with a cmr_completed event of the contract
--              cmr_counted         the CMR completion measure's numerator (qm_cmr_member.in_numerator)
--   reason   targeting reason 01..04 of the members enrolled in Part D at D (section 5)
--   service  rows due by service, status 'overdue' (due date before D) or 'due': the CMR services of the
--            outreach list, and the quarterly TMRs of the pharmacist's worklist (tmr_worklist)
--   opt_out  members of the CY's ledger who opted out by D, and members whose requested opt-out blocked
--            their enrollment, by reason (section 6)
--   dtp_type drug therapy problems recommended this CY (qm_dtp), by type (counts of problems, not members)
--   medication_review  problems recommended, resolved, answered by the prescriber (accepted, modified or
--            declined) and accepted (accepted or modified); CMRs on or after enrollment whose 14 days have
--            passed or whose summary was sent, and of those the summaries sent within 14 days (issue 29)
WITH p AS (SELECT * FROM run_parameters),
cmr AS (
    SELECT member_id, contract_id,
           bool_or(event_type IN ('cmr_offered', 'cmr_completed')) AS offered,
           bool_or(event_type = 'cmr_completed')                   AS completed
    FROM tgt_mtm_event
    GROUP BY member_id, contract_id
),
funnel AS (
    UNPIVOT (
        SELECT contract_id,
               count(*)                                   AS part_d_enrollees,
               count(*) FILTER (WHERE meets_conditions)   AS meets_conditions,
               count(*) FILTER (WHERE meets_drugs)        AS meets_drugs,
               count(*) FILTER (WHERE meets_cost)         AS meets_cost,
               count(*) FILTER (WHERE meets_criteria)     AS meets_criteria
        FROM member_summary
        GROUP BY contract_id
    ) ON COLUMNS(* EXCLUDE (contract_id)) INTO NAME category VALUE members
),
ledger AS (
    SELECT l.contract_id,
           count(*)                                          AS enrolled_this_year,
           count(*) FILTER (WHERE coalesce(c.offered, false))   AS cmr_offered,
           count(*) FILTER (WHERE coalesce(c.completed, false)) AS cmr_completed,
           count(*) FILTER (WHERE coalesce(q.in_numerator, false)) AS cmr_counted
    FROM tgt_mtm_enrollment AS l
    LEFT JOIN cmr AS c ON c.member_id = l.member_id AND c.contract_id = l.contract_id
    LEFT JOIN qm_cmr_member AS q ON q.member_id = l.member_id AND q.contract_id = l.contract_id
    GROUP BY l.contract_id
),
at_d AS (
    SELECT contract_id,
           count(*) FILTER (WHERE mtm_enrolled)                        AS mtm_enrolled,
           count(*) FILTER (WHERE mtm_enrolled AND NOT meets_criteria) AS enrolled_not_meeting_criteria
    FROM member_summary
    GROUP BY contract_id
),
program AS (
    UNPIVOT (
        SELECT contract_id,
               coalesce(l.enrolled_this_year, 0)            AS enrolled_this_year,
               coalesce(a.mtm_enrolled, 0)                  AS mtm_enrolled,
               coalesce(a.enrolled_not_meeting_criteria, 0) AS enrolled_not_meeting_criteria,
               coalesce(l.cmr_offered, 0)                   AS cmr_offered,
               coalesce(l.cmr_completed, 0)                 AS cmr_completed,
               coalesce(l.cmr_counted, 0)                   AS cmr_counted
        FROM ledger AS l
        FULL JOIN at_d AS a USING (contract_id)
    ) ON COLUMNS(* EXCLUDE (contract_id)) INTO NAME category VALUE members
),
due AS (
    SELECT contract_id, service, due_date FROM outreach_list  -- CMR services only: TMRs are not called
    UNION ALL
    SELECT contract_id, 'tmr', due_date FROM tmr_worklist
)
SELECT contract_id, 'funnel' AS panel, category, NULL::VARCHAR AS status, members FROM funnel
UNION ALL
SELECT contract_id, 'program', category, NULL, members FROM program
UNION ALL
SELECT contract_id, 'reason', targeting_reason, NULL, count(*)
FROM member_summary
GROUP BY ALL
UNION ALL
SELECT o.contract_id, 'service', o.service, CASE WHEN o.due_date < p.as_of_date THEN 'overdue' ELSE 'due' END,
       count(*)
FROM due AS o
CROSS JOIN p
GROUP BY ALL
UNION ALL
SELECT contract_id, 'opt_out', opt_out_reason, NULL, count(*)
FROM (
    SELECT member_id, contract_id, opt_out_reason FROM tgt_mtm_enrollment WHERE opt_out_reason IS NOT NULL
    UNION  -- members whose requested opt-out blocked enrollment have no ledger row (docs/rules/ledger-and-services.md, 27)
    SELECT member_id, contract_id, opt_out_reason FROM member_summary WHERE opt_out_reason IS NOT NULL
)
GROUP BY ALL
UNION ALL
SELECT contract_id, 'dtp_type', dtp_type, NULL, count(*)
FROM qm_dtp
WHERE recommended_on IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT contract_id, 'medication_review', category, NULL, members
FROM (
    UNPIVOT (
        SELECT contract_id,
               count(recommended_on)                                                              AS dtp_recommended,
               count(resolved_on)                                                                 AS dtp_resolved,
               count(*) FILTER (WHERE prescriber_response IN ('accepted', 'modified', 'declined')) AS dtp_answered,
               count(*) FILTER (WHERE prescriber_response IN ('accepted', 'modified'))             AS dtp_accepted
        FROM qm_dtp
        GROUP BY contract_id
    ) ON COLUMNS(* EXCLUDE (contract_id)) INTO NAME category VALUE members
)
UNION ALL
SELECT c.contract_id, 'medication_review', 'summary_window_closed', NULL, count(*)
FROM qm_cmr_event AS c
CROSS JOIN p
WHERE c.after_enrollment AND (c.summary_date IS NOT NULL OR c.cmr_date + 14 <= p.as_of_date)
GROUP BY ALL
UNION ALL
SELECT contract_id, 'medication_review', 'summary_within_14_days', NULL, count(*)
FROM qm_cmr_event
WHERE after_enrollment AND summary_date <= cmr_date + 14
GROUP BY ALL
