-- Evidence of an MTM program that ran before this pipeline (targeting-rules.md section 6, "Going live
-- mid-year or changing vendor"), per member x contract of the contract year: the service team only
-- contacts enrollees, so a cmr_offered, cmr_completed, cmr_declined, tmr_completed, summary_sent or
-- outreach_attempt event of that contract and CY dated before D means the member was enrolled by then.
-- A member who enters the ledger with such events gets the earliest one as enrollment date
-- (enrollment_source = inferred_from_events; tgt_ledger_next). Two events on that earliest date: the
-- first event type in alphabetical order is named, so the column is the same on every run.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    e.member_id,
    e.contract_id,
    min(e.event_date)                    AS first_service_date,
    arg_min(e.event_type, (e.event_date, e.event_type)) AS first_service_event,
    count(*)                             AS service_events
FROM tgt_mtm_event AS e
CROSS JOIN p
WHERE e.event_type IN ('cmr_offered', 'cmr_completed', 'cmr_declined', 'tmr_completed', 'summary_sent',
                       'outreach_attempt')
  AND e.event_date < p.as_of_date
GROUP BY e.member_id, e.contract_id
