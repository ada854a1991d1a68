-- Every MTM event up to D (all years) with the contract it belongs to (input-contract.md mtm_event,
-- 2026-12-07; issue 25 item 3): the contract it names, else the member's contract whose span covers
-- event_date (the latest-starting such span). An event belongs to a contract only when a span of that
-- contract covers its date: an event that no span covers belongs to no contract, and it is held like a
-- pending fill (listed in held_events.csv, counted in the run manifest, counted for nothing, re-checked
-- on every run); it is never pinned to the member's contract at D.
--   held_reason  NULL = counted (tgt_mtm_event_history); no_span_covers_event_date = the member had no
--                Part D span on that day; named_contract_not_covering = the event names a contract none
--                of whose spans covers that day (the member was in another contract, or in none)
--   The spans covering a day depend only on the member and the day, so they are found once per member x
--   event day (an equality join on the member, then the day's range), not by a correlated lookup per event:
--   Spark ran that lookup as a nested scan (1,183 s of a 1M-member run; issue 31).
WITH p AS (SELECT * FROM run_parameters),
events AS (
    SELECT e.*
    FROM stg_mtm_event AS e
    CROSS JOIN p
    WHERE e.event_date <= p.as_of_date
),
-- every span of the member that covers an event day
covering AS (
    SELECT d.member_id, d.event_date, s.contract_id, s.span_start, s._seq AS span_seq
    FROM (SELECT DISTINCT member_id, event_date FROM events) AS d
    JOIN core_member_span AS s
      ON s.member_id = d.member_id AND d.event_date BETWEEN s.span_start AND s.span_end
),
-- the contract of the latest-starting covering span: where an event that names no contract belongs
latest_covering AS (
    SELECT member_id, event_date, contract_id
    FROM covering
    QUALIFY row_number() OVER (PARTITION BY member_id, event_date
                               ORDER BY span_start DESC, span_seq DESC) = 1
),
covering_contract AS (
    SELECT DISTINCT member_id, event_date, contract_id FROM covering
)
SELECT
    e.* EXCLUDE (contract_id),
    e.contract_id                          AS named_contract_id,
    coalesce(e.contract_id, l.contract_id) AS contract_id,
    year(e.event_date)                     AS contract_year,
    CASE
        WHEN l.member_id IS NULL THEN 'no_span_covers_event_date'
        WHEN e.contract_id IS NULL OR c.contract_id IS NOT NULL THEN NULL
        ELSE 'named_contract_not_covering'
    END                                    AS held_reason
FROM events AS e
LEFT JOIN latest_covering AS l
       ON l.member_id = e.member_id AND l.event_date = e.event_date
LEFT JOIN covering_contract AS c
       ON c.member_id = e.member_id AND c.event_date = e.event_date AND c.contract_id = e.contract_id
