-- MTM events of the contract year up to D, each attributed to the contract it names (input-contract.md:
-- the contract the service was delivered under), else to the contract the member was in on the event
-- date (the latest-starting span covering it), else to the member's contract at D.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    e.* EXCLUDE (contract_id),
    coalesce(
        e.contract_id,
        (SELECT s.contract_id FROM core_member_span AS s
          WHERE s.member_id = e.member_id AND e.event_date BETWEEN s.span_start AND s.span_end
          ORDER BY s.span_start DESC, s._seq DESC LIMIT 1),
        m.contract_id
    ) AS contract_id
FROM stg_mtm_event AS e
CROSS JOIN p
LEFT JOIN core_member AS m ON m.member_id = e.member_id
WHERE e.event_date BETWEEN make_date(p.contract_year, 1, 1) AND p.as_of_date
