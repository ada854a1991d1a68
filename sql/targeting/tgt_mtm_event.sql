-- MTM events of the contract year up to D, each attributed to a contract (the rule is written once, in
-- tgt_mtm_event_contract: the contract the event names, else the member's contract on the event date;
-- events that no span of their contract covers are held, never pinned to the member's contract at D).
SELECT h.* EXCLUDE (contract_year)
FROM tgt_mtm_event_history AS h
CROSS JOIN run_parameters AS p
WHERE h.contract_year = p.contract_year
