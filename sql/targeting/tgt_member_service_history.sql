-- The MTM service history of every member enrolled in MTM at D, per ledger contract (targeting-rules.md
-- section 7): what the services due and the outreach list / TMR worklist columns are computed from.
-- Events are those of the contract (tgt_mtm_event_history: the contract the event names, else the
-- member's contract on the event date; held events, outside every span of their contract, count for
-- nothing), any year, up to D. A recorded cmr_completed also counts as an
-- offer (a CMR that was done was offered).
--   last_offer_since_enrollment   latest offer on or after mtm_enrollment_date
--   last_offer_before_enrollment  latest cmr_offered before it (a rolled-over member's last year's offer;
--                                 a cmr_completed without a recorded offer when there is none)
--   cmr_declined_date             first cmr_declined of the contract year on or after mtm_enrollment_date
--                                 (it stops CMR outreach for the CY; TMRs go on)
--   attempts_since_last_offer     outreach_attempt events after the latest offer (after the enrollment
--                                 date, inclusive, when there is no offer since enrollment); an attempt on the offer's
--                                 own day is the offer's contact, not a further attempt
--   cognitively_impaired          the latest recorded value (at a CMR offer or CMR)
--   last_attempt_date, last_attempt_outcome   the latest outreach_attempt (issue 26 item 9)
--   last_phone_attempt_date, last_phone_outcome   the latest attempt by phone (a wrong number flags the phone)
WITH p AS (
    SELECT *, CAST(date_trunc('quarter', as_of_date) AS DATE) AS quarter_start FROM run_parameters
),
ledger AS (
    SELECT member_id, contract_id, mtm_enrollment_date, enrollment_source
    FROM tgt_mtm_enrollment
    WHERE mtm_enrolled
),
history AS (
    SELECT
        l.member_id,
        l.contract_id,
        any_value(l.mtm_enrollment_date)                                                 AS mtm_enrollment_date,
        any_value(l.enrollment_source)                                                   AS enrollment_source,
        max(v.event_date) FILTER (WHERE v.event_type IN ('cmr_offered', 'cmr_completed')
                                    AND v.event_date >= l.mtm_enrollment_date)          AS last_offer_since_enrollment,
        coalesce(max(v.event_date) FILTER (WHERE v.event_type = 'cmr_offered' AND v.event_date < l.mtm_enrollment_date),
                 max(v.event_date) FILTER (WHERE v.event_type = 'cmr_completed'
                                             AND v.event_date < l.mtm_enrollment_date))  AS last_offer_before_enrollment,
        max(v.event_date) FILTER (WHERE v.event_type IN ('cmr_offered', 'cmr_completed')) AS last_offer,
        max(v.event_date) FILTER (WHERE v.event_type = 'cmr_offered'
                                    AND v.event_date >= l.mtm_enrollment_date)          AS last_cmr_offered_since_enrollment,
        max(v.event_date) FILTER (WHERE v.event_type = 'cmr_offered')                   AS last_cmr_offer_date,
        max(v.event_date) FILTER (WHERE v.event_type = 'cmr_completed')                 AS last_cmr_completed_date,
        max(v.event_date) FILTER (WHERE v.event_type = 'tmr_completed')                 AS last_tmr_date,
        max(v.event_date) FILTER (WHERE v.event_type IN ('tmr_completed', 'cmr_completed')
                                    AND v.event_date >= p.quarter_start)                AS last_review_this_quarter,
        min(v.event_date) FILTER (WHERE v.event_type = 'cmr_declined' AND v.contract_year = p.contract_year
                                    AND v.event_date >= l.mtm_enrollment_date)          AS cmr_declined_date,
        arg_max(v.cognitively_impaired, (v.event_date, v._seq))
            FILTER (WHERE v.cognitively_impaired IS NOT NULL)                           AS cognitively_impaired,
        max(v.event_date) FILTER (WHERE v.event_type = 'outreach_attempt')              AS last_attempt_date,
        arg_max(v.outcome, (v.event_date, v._seq))
            FILTER (WHERE v.event_type = 'outreach_attempt')                            AS last_attempt_outcome,
        max(v.event_date) FILTER (WHERE v.event_type = 'outreach_attempt'
                                    AND v.channel = 'phone')                            AS last_phone_attempt_date,
        arg_max(v.outcome, (v.event_date, v._seq))
            FILTER (WHERE v.event_type = 'outreach_attempt' AND v.channel = 'phone')    AS last_phone_outcome
    FROM ledger AS l
    CROSS JOIN p
    LEFT JOIN tgt_mtm_event_history AS v ON v.member_id = l.member_id AND v.contract_id = l.contract_id
    GROUP BY l.member_id, l.contract_id
),
-- outreach attempts after the latest offer since enrollment (after the enrollment date, inclusive, without one):
-- a join and a count per member x contract (a correlated count per member ran as a nested scan on Spark)
attempts AS (
    SELECT h.member_id, h.contract_id, count(*) AS attempts
    FROM history AS h
    JOIN tgt_mtm_event_history AS a
      ON a.member_id = h.member_id AND a.contract_id = h.contract_id AND a.event_type = 'outreach_attempt'
     AND a.event_date > coalesce(h.last_offer_since_enrollment, h.mtm_enrollment_date - 1)
    GROUP BY h.member_id, h.contract_id
)
SELECT
    h.*,
    coalesce(n.attempts, 0)::INTEGER                                                   AS attempts_since_last_offer
FROM history AS h
LEFT JOIN attempts AS n ON n.member_id = h.member_id AND n.contract_id = h.contract_id
