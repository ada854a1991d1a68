-- Every MTM event up to D (all years) that belongs to a contract (tgt_mtm_event_contract: the contract it
-- names, else the member's contract whose span covers event_date; a span of that contract must cover the
-- event's date, otherwise the event is held and counts for nothing). Rollover (targeting-rules.md
-- section 6) reads the prior contract year's opt-outs from here; tgt_mtm_event is the contract year's part.
SELECT c.* EXCLUDE (named_contract_id, held_reason)
FROM tgt_mtm_event_contract AS c
WHERE c.held_reason IS NULL
