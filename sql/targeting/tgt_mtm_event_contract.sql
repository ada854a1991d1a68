-- Every MTM event up to D (all years) with the contract it belongs to (input-contract.md mtm_event,
-- 2026-12-07; issue 25 item 3): the contract it names, else the member's contract whose span covers
-- event_date (the latest-starting such span). An event belongs to a contract only when a span of that
-- contract covers its date: an event that no span covers belongs to no contract, and it is held like a
-- pending fill (listed in held_events.csv, counted in the run manifest, counted for nothing, re-checked
-- on every run); it is never pinned to the member's contract at D.
--   held_reason  NULL = counted (tgt_mtm_event_history); no_span_covers_event_date = the member had no
--                Part D span on that day; named_contract_not_covering = the event names a contract none
--                of whose spans covers that day (the member was in another contract, or in none)
WITH p AS (SELECT * FROM run_parameters),
attributed AS (
    SELECT
        e.* EXCLUDE (contract_id),
        e.contract_id                      AS named_contract_id,
        coalesce(
            e.contract_id,
            (SELECT s.contract_id FROM core_member_span AS s
              WHERE s.member_id = e.member_id AND e.event_date BETWEEN s.span_start AND s.span_end
              ORDER BY s.span_start DESC, s._seq DESC LIMIT 1)
        )                                  AS contract_id
    FROM stg_mtm_event AS e
    CROSS JOIN p
    WHERE e.event_date <= p.as_of_date
)
SELECT
    a.*,
    year(a.event_date)                     AS contract_year,
    CASE
        WHEN EXISTS (SELECT 1 FROM core_member_span AS s
                      WHERE s.member_id = a.member_id AND s.contract_id = a.contract_id
                        AND a.event_date BETWEEN s.span_start AND s.span_end) THEN NULL
        WHEN EXISTS (SELECT 1 FROM core_member_span AS s
                      WHERE s.member_id = a.member_id AND a.event_date BETWEEN s.span_start AND s.span_end)
            THEN 'named_contract_not_covering'
        ELSE 'no_span_covers_event_date'
    END                                    AS held_reason
FROM attributed AS a
