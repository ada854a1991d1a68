-- Members who asked to opt out (reason 'requested') in a contract this contract year: they are not
-- auto-enrolled again in that contract and year (targeting-rules.md section 6).
SELECT member_id, contract_id, min(event_date) AS opt_out_date
FROM tgt_mtm_event
WHERE event_type = 'opted_out' AND opt_out_reason = 'requested'
GROUP BY member_id, contract_id
