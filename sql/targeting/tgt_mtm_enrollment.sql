-- MTM enrollment status on D for every ledger row of the contract year. Opt-outs are derived as of D:
-- the earliest of an opt-out stated by a seeded roster (mtm ledger import; kept as the roster says it,
-- when dated on or before D), a recorded opted_out event on or after the enrollment date (with its reason;
-- for an enrollment inferred from earlier service events, any opted_out event of the contract year up to D:
-- section 6, "an opted_out event ... before D is honoured the same way"),
-- death ('death', on the death date), and leaving the contract ('disenrolled', on the last covered
-- day in that contract) — so re-running an earlier date shows the status as it was then.
WITH p AS (SELECT * FROM run_parameters),
recorded AS (
    SELECT l.member_id, l.contract_id,
           arg_min(e.opt_out_reason, (e.event_date, e._seq)) AS reason, min(e.event_date) AS opt_out_date
    FROM tgt_ledger_next AS l
    JOIN tgt_mtm_event AS e
      ON e.member_id = l.member_id AND e.contract_id = l.contract_id
     AND e.event_type = 'opted_out'
     AND (e.event_date >= l.mtm_enrollment_date OR l.enrollment_source = 'inferred_from_events')
    GROUP BY l.member_id, l.contract_id
),
contract_cover AS (
    SELECT l.member_id, l.contract_id,
           bool_or(p.as_of_date BETWEEN s.span_start AND s.span_end) AS covered_at_d,
           max(least(s.span_end, p.as_of_date)) FILTER (WHERE s.span_start <= p.as_of_date) AS last_covered_day
    FROM tgt_ledger_next AS l
    CROSS JOIN p
    JOIN core_member_span AS s ON s.member_id = l.member_id AND s.contract_id = l.contract_id
    GROUP BY l.member_id, l.contract_id
),
candidates AS (
    SELECT l.member_id, l.contract_id, l.opt_out_date, l.opt_out_reason AS reason, 0 AS rank_order
    FROM tgt_ledger_next AS l
    CROSS JOIN p
    WHERE l.opt_out_date <= p.as_of_date
    UNION ALL
    SELECT member_id, contract_id, opt_out_date, coalesce(reason, 'other') AS reason, 1 AS rank_order
    FROM recorded
    UNION ALL
    SELECT l.member_id, l.contract_id, m.death_date, 'death', 2
    FROM tgt_ledger_next AS l
    JOIN core_member AS m ON m.member_id = l.member_id
    CROSS JOIN p
    WHERE m.death_date <= p.as_of_date AND m.death_date >= l.mtm_enrollment_date
    UNION ALL
    SELECT l.member_id, l.contract_id, coalesce(c.last_covered_day, l.mtm_enrollment_date), 'disenrolled', 3
    FROM tgt_ledger_next AS l
    LEFT JOIN contract_cover AS c ON c.member_id = l.member_id AND c.contract_id = l.contract_id
    WHERE NOT coalesce(c.covered_at_d, false)
),
first_opt_out AS (
    SELECT member_id, contract_id, opt_out_date, reason
    FROM candidates
    QUALIFY row_number() OVER (PARTITION BY member_id, contract_id ORDER BY opt_out_date, rank_order) = 1
)
SELECT
    l.* EXCLUDE (opt_out_date, opt_out_reason),
    o.opt_out_date,
    o.reason                                   AS opt_out_reason,
    o.member_id IS NULL                        AS mtm_enrolled
FROM tgt_ledger_next AS l
LEFT JOIN first_opt_out AS o ON o.member_id = l.member_id AND o.contract_id = l.contract_id
