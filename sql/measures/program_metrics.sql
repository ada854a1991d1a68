-- Program metrics by contract and month of the contract year (targeting-rules.md section 9; outputs.md
-- program_metrics.csv), numbers before suppression; one row per contract x month x metric. Months run
-- from January to the month of D; a month's "end" is its last day, or D for the current month.
--   part_d_enrollees            members whose contract on the month end is this one (latest-starting
--                               span covering the day, alive)
--   meeting_criteria_reason_0N  members meeting the criteria by targeting reason: a count at a run's
--                               as-of date, so the current month comes from this run and earlier months
--                               from the last published run of that month (program_metrics_history);
--                               reason 04 is kept unpublished (it completes the enrollee total)
--   mtm_enrolled_cumulative     ledger rows of the contract year enrolled on or before the month end
--   mtm_enrolled_new            ledger rows enrolled in the month
--   cmr_offer_window_closed     of the month's new enrollees whose enrollment date was not inferred from
--                               events, those whose 60-day window has closed by D (enrollment date + 60
--                               days <= D): the denominator of the offer rate (section 9, 2026-12-07)
--   cmr_offered_within_60_days  of those, the members offered a CMR within 60 days of enrollment (a
--                               cmr_offered, or a cmr_completed: a CMR that was done was offered, dated
--                               enrollment date .. + 60 days); _rate = / cmr_offer_window_closed
--   mtm_enrolled_new_inferred   the month's new enrollees whose enrollment date was inferred from service
--                               events (enrollment_source = inferred_from_events: often the offer itself),
--                               reported apart and never in the offer rate
--   cmr_awaiting_summary        CMRs of the contract dated in the month, on or after the member's enrollment
--                               date, whose written summary has not been sent by D (qm_cmr_event)
--   cmr_summary_after_14_days   CMRs dated in the month whose summary was sent more than 14 days after them
--   cmr_completed, tmr_completed, cmr_declined, outreach_attempts
--                               events of the contract dated in the month (events, not members)
--   dtp_recommendations, dtp_resolutions
--                               drug therapy problems (qm_dtp: one per dtp_id) recommended / resolved in the month
--   dtp_recommendations_<type>  of those recommended, by drug-therapy-problem type (input-contract.md list, and
--                               unspecified for an event without one)
--   prescriber_responses_answered, prescriber_responses_accepted
--                               problems whose prescriber's answer (the latest) is dated in the month: answered =
--                               accepted, modified or declined (no_response is no answer); accepted = accepted or
--                               modified; prescriber_acceptance_rate = accepted / answered
--   dtp_resolution_median_days  median days from recommendation to resolution of the problems resolved in the
--                               month (a number of days, not a count: is_rate, never suppressed as a count)
--   cmr_summary_window_closed   CMRs dated in the month, on or after enrollment, whose 14 days have passed by D or
--                               whose summary was sent; cmr_summary_within_14_days: of those, summary sent within
--                               14 days of the CMR; _rate = within / window closed (issue 29)
--   opt_outs_<reason>           ledger members whose opt-out (recorded or derived) is dated in the month
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
months AS (
    SELECT CAST(m AS DATE) AS month_start, least(last_day(CAST(m AS DATE)), p.as_of_date) AS month_end,
           strftime(CAST(m AS DATE), '%Y-%m') AS month
    FROM p, unnest(generate_series(p.cy_start, p.as_of_date, INTERVAL 1 MONTH)) AS t(m)
),
member_month AS (
    SELECT k.month, s.member_id, s.contract_id
    FROM months AS k
    JOIN core_member_span AS s ON k.month_end BETWEEN s.span_start AND s.span_end
    JOIN core_member AS m ON m.member_id = s.member_id
    WHERE m.death_date IS NULL OR m.death_date > k.month_end
    QUALIFY row_number() OVER (PARTITION BY k.month, s.member_id ORDER BY s.span_start DESC, s._seq DESC) = 1
),
contracts AS (
    SELECT DISTINCT contract_id FROM member_month
    UNION SELECT DISTINCT contract_id FROM tgt_mtm_enrollment
),
grid AS (SELECT c.contract_id, k.* FROM contracts AS c CROSS JOIN months AS k),
event_metric AS (
    SELECT * FROM (VALUES ('cmr_completed', 'cmr_completed'), ('tmr_completed', 'tmr_completed'),
                          ('cmr_declined', 'cmr_declined'), ('outreach_attempt', 'outreach_attempts'))
           AS t(event_type, metric)
),
offer_window AS (   -- new enrollees whose 60-day offer window has closed by D, not inferred from events
    SELECT l.member_id, l.contract_id, l.mtm_enrollment_date
    FROM tgt_mtm_enrollment AS l
    CROSS JOIN p
    WHERE l.enrollment_source <> 'inferred_from_events' AND l.mtm_enrollment_date + 60 <= p.as_of_date
),
offered_60 AS (
    SELECT l.member_id, l.contract_id
    FROM offer_window AS l
    JOIN tgt_mtm_event AS e
      ON e.member_id = l.member_id AND e.contract_id = l.contract_id
     AND e.event_type IN ('cmr_offered', 'cmr_completed')
     AND e.event_date BETWEEN l.mtm_enrollment_date AND l.mtm_enrollment_date + 60
    GROUP BY l.member_id, l.contract_id
),
counts AS (
    SELECT g.contract_id, g.month, 'part_d_enrollees' AS metric,
           (SELECT count(*) FROM member_month AS x WHERE x.month = g.month AND x.contract_id = g.contract_id) AS value
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'mtm_enrolled_cumulative',
           (SELECT count(*) FROM tgt_mtm_enrollment AS l
             WHERE l.contract_id = g.contract_id AND l.mtm_enrollment_date <= g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'mtm_enrolled_new',
           (SELECT count(*) FROM tgt_mtm_enrollment AS l
             WHERE l.contract_id = g.contract_id AND l.mtm_enrollment_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_offer_window_closed',
           (SELECT count(*) FROM offer_window AS l
             WHERE l.contract_id = g.contract_id AND l.mtm_enrollment_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_offered_within_60_days',
           (SELECT count(*) FROM offer_window AS l JOIN offered_60 AS o USING (member_id, contract_id)
             WHERE l.contract_id = g.contract_id AND l.mtm_enrollment_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'mtm_enrolled_new_inferred',
           (SELECT count(*) FROM tgt_mtm_enrollment AS l
             WHERE l.contract_id = g.contract_id AND l.enrollment_source = 'inferred_from_events'
               AND l.mtm_enrollment_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_awaiting_summary',
           (SELECT count(*) FROM qm_cmr_event AS c
             WHERE c.contract_id = g.contract_id AND c.after_enrollment AND c.summary_date IS NULL
               AND c.cmr_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_summary_after_14_days',
           (SELECT count(*) FROM qm_cmr_event AS c
             WHERE c.contract_id = g.contract_id AND c.summary_late
               AND c.cmr_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, m.metric,
           (SELECT count(*) FROM tgt_mtm_event AS e
             WHERE e.contract_id = g.contract_id AND e.event_type = m.event_type
               AND e.event_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g CROSS JOIN event_metric AS m
    UNION ALL
    SELECT g.contract_id, g.month, 'dtp_recommendations',
           (SELECT count(*) FROM qm_dtp AS d
             WHERE d.contract_id = g.contract_id AND d.recommended_on BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'dtp_resolutions',
           (SELECT count(*) FROM qm_dtp AS d
             WHERE d.contract_id = g.contract_id AND d.resolved_on BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'dtp_recommendations_' || t.dtp_type,
           (SELECT count(*) FROM qm_dtp AS d
             WHERE d.contract_id = g.contract_id AND d.dtp_type = t.dtp_type
               AND d.recommended_on BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    CROSS JOIN (VALUES ('needs_additional_therapy'), ('unnecessary_drug'), ('ineffective_drug'), ('dose_too_low'),
                       ('dose_too_high'), ('adverse_drug_event'), ('drug_interaction'), ('nonadherence'), ('cost'),
                       ('other'), ('unspecified')) AS t(dtp_type)
    UNION ALL
    SELECT g.contract_id, g.month, 'prescriber_responses_answered',
           (SELECT count(*) FROM qm_dtp AS d
             WHERE d.contract_id = g.contract_id AND d.prescriber_response IN ('accepted', 'modified', 'declined')
               AND d.response_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'prescriber_responses_accepted',
           (SELECT count(*) FROM qm_dtp AS d
             WHERE d.contract_id = g.contract_id AND d.prescriber_response IN ('accepted', 'modified')
               AND d.response_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_summary_window_closed',
           (SELECT count(*) FROM qm_cmr_event AS c CROSS JOIN p
             WHERE c.contract_id = g.contract_id AND c.after_enrollment
               AND (c.summary_date IS NOT NULL OR c.cmr_date + 14 <= p.as_of_date)
               AND c.cmr_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'cmr_summary_within_14_days',
           (SELECT count(*) FROM qm_cmr_event AS c
             WHERE c.contract_id = g.contract_id AND c.after_enrollment AND c.summary_date <= c.cmr_date + 14
               AND c.cmr_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    UNION ALL
    SELECT g.contract_id, g.month, 'opt_outs_' || r.reason,
           (SELECT count(*) FROM tgt_mtm_enrollment AS l
             WHERE l.contract_id = g.contract_id AND l.opt_out_reason = r.reason
               AND l.opt_out_date BETWEEN g.month_start AND g.month_end)
    FROM grid AS g
    CROSS JOIN (VALUES ('death'), ('disenrolled'), ('requested'), ('other')) AS r(reason)
),
criteria_now AS (
    SELECT g.contract_id, g.month, 'meeting_criteria_reason_' || r.reason AS metric,
           (SELECT count(*) FROM tgt_member_criteria AS c
             WHERE c.contract_id = g.contract_id AND c.targeting_reason = r.reason) AS value
    FROM grid AS g
    CROSS JOIN p
    CROSS JOIN (VALUES ('01'), ('02'), ('03'), ('04')) AS r(reason)
    WHERE g.month = strftime(p.as_of_date, '%Y-%m')
),
criteria_before AS (   -- earlier months of the year: the last published run of each month
    SELECT h.contract_id, h.month, h.metric, h.value_numeric AS value
    FROM program_metrics_history AS h
    CROSS JOIN p
    WHERE h.metric LIKE 'meeting_criteria_reason_%'
      AND year(h.as_of_date) = p.contract_year AND h.as_of_date < p.as_of_date
      AND strftime(h.as_of_date, '%Y-%m') = h.month AND h.month < strftime(p.as_of_date, '%Y-%m')
    QUALIFY h.as_of_date = max(h.as_of_date) OVER (PARTITION BY h.contract_id, h.month)
),
all_counts AS (
    SELECT contract_id, month, metric, CAST(value AS DOUBLE) AS value FROM counts
    UNION ALL SELECT contract_id, month, metric, CAST(value AS DOUBLE) FROM criteria_now
    UNION ALL SELECT contract_id, month, metric, value FROM criteria_before
),
rates AS (
    SELECT n.contract_id, n.month, 'cmr_offered_within_60_days_rate' AS metric,
           round(n.value / d.value, 4) AS value
    FROM all_counts AS n
    JOIN all_counts AS d ON d.contract_id = n.contract_id AND d.month = n.month AND d.metric = 'cmr_offer_window_closed'
    WHERE n.metric = 'cmr_offered_within_60_days' AND d.value > 0
    UNION ALL
    SELECT n.contract_id, n.month, 'prescriber_acceptance_rate', round(n.value / d.value, 4)
    FROM all_counts AS n
    JOIN all_counts AS d ON d.contract_id = n.contract_id AND d.month = n.month
     AND d.metric = 'prescriber_responses_answered'
    WHERE n.metric = 'prescriber_responses_accepted' AND d.value > 0
    UNION ALL
    SELECT n.contract_id, n.month, 'cmr_summary_within_14_days_rate', round(n.value / d.value, 4)
    FROM all_counts AS n
    JOIN all_counts AS d ON d.contract_id = n.contract_id AND d.month = n.month
     AND d.metric = 'cmr_summary_window_closed'
    WHERE n.metric = 'cmr_summary_within_14_days' AND d.value > 0
    UNION ALL
    SELECT g.contract_id, g.month, 'dtp_resolution_median_days', median(d.days_to_resolution)
    FROM grid AS g
    JOIN qm_dtp AS d ON d.contract_id = g.contract_id AND d.resolved_on BETWEEN g.month_start AND g.month_end
    WHERE d.days_to_resolution IS NOT NULL
    GROUP BY g.contract_id, g.month
)
SELECT p.as_of_date, contract_id, month, metric, value,
       metric <> 'meeting_criteria_reason_04' AS published,
       metric LIKE '%_rate' OR metric LIKE '%_median_days' AS is_rate
FROM (SELECT * FROM all_counts UNION ALL SELECT * FROM rates)
CROSS JOIN p
ORDER BY contract_id, month, metric
