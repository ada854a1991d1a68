-- member_events: the MTM history of each member for the portal's member page: every recorded mtm_event
-- up to D (the extract's and the portal's recorded contacts, stg_mtm_event; input-contract.md), with the
-- file and row it came from. Member ids only, no PHI.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    e.member_id, e.event_date, e.event_type, e.contract_id, e.channel, e.outcome, e.delivery_method,
    e.recipient, e.provider_type, e.opt_out_reason, e.cognitively_impaired,
    e._file AS source_file, e._row AS source_row
FROM stg_mtm_event AS e
CROSS JOIN p
WHERE e.event_date <= p.as_of_date
ORDER BY e.member_id, e.event_date, e._seq
