-- Every MTM event up to D (all years), each attributed to a contract (input-contract.md mtm_event): the
-- contract it names, else the contract the member was in on the event date (the latest-starting span
-- covering it), else the member's contract at D. Rollover (targeting-rules.md section 6) reads the prior
-- contract year's opt-outs from here; tgt_mtm_event is the contract year's part.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    e.* EXCLUDE (contract_id),
    coalesce(
        e.contract_id,
        (SELECT s.contract_id FROM core_member_span AS s
          WHERE s.member_id = e.member_id AND e.event_date BETWEEN s.span_start AND s.span_end
          ORDER BY s.span_start DESC, s._seq DESC LIMIT 1),
        m.contract_id
    )                                  AS contract_id,
    year(e.event_date)                 AS contract_year
FROM stg_mtm_event AS e
CROSS JOIN p
LEFT JOIN core_member AS m ON m.member_id = e.member_id
WHERE e.event_date <= p.as_of_date
