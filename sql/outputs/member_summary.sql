-- member_summary: one row per member enrolled in Part D at D, with exactly the contract columns of
-- outputs.md. MTM fields come from the ledger row of the member's contract at D.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    c.member_id,
    c.contract_id,
    c.pbp_id,
    p.as_of_date,
    c.age,
    c.part_d_drugs::INTEGER                              AS part_d_drugs,
    c.maintenance_drugs::INTEGER                         AS maintenance_drugs,
    c.projected_annual_cost,
    c.core_conditions::INTEGER                           AS core_conditions,
    COLUMNS('^cond_'),                                   -- one 0/1 flag per core disease (ref_core_disease)
    c.meets_conditions,
    c.meets_drugs,
    c.meets_cost,
    c.arb,
    c.targeting_reason,
    c.meets_criteria,
    coalesce(e.mtm_enrolled, false)                      AS mtm_enrolled,
    -- a member blocked by a recorded opt-out has no ledger row, yet met the criteria on D
    coalesce(e.date_met_criteria, CASE WHEN c.meets_criteria THEN p.as_of_date END) AS date_met_criteria,
    e.mtm_enrollment_date,
    e.enrollment_source,                                 -- with the enrollment date: run, seed, inferred_from_events, rollover
    coalesce(e.opt_out_date, r.opt_out_date)             AS opt_out_date,
    coalesce(e.opt_out_reason, r.opt_out_reason)         AS opt_out_reason,
    coalesce(s.risk_flags, '')                           AS risk_flags,
    s.priority_score
FROM tgt_member_criteria AS c
CROSS JOIN p
LEFT JOIN tgt_mtm_enrollment AS e ON e.member_id = c.member_id AND e.contract_id = c.contract_id
LEFT JOIN tgt_opt_out_request AS r ON r.member_id = c.member_id AND r.contract_id = c.contract_id
LEFT JOIN tgt_member_priority AS s ON s.member_id = c.member_id
ORDER BY c.contract_id, c.member_id
