-- Recorded opt-outs of the contract year up to D, per member x contract: the earliest opted_out event
-- (any reason; a blank reason is 'other') of that contract. targeting-rules.md section 6: a member who
-- asked to opt out is not auto-enrolled again in the same contract and CY, and an opt-out recorded before
-- a member enters the ledger is honoured (listed as opted out, not enrolled at the run's date).
SELECT member_id, contract_id, min(event_date) AS opt_out_date,
       coalesce(arg_min(opt_out_reason, (event_date, _seq)), 'other') AS opt_out_reason
FROM tgt_mtm_event
WHERE event_type = 'opted_out'
GROUP BY member_id, contract_id
