-- Priority score and rank per member x service due (targeting-rules.md section 8). Each component is
-- scaled to 0..1, weighted by the plan's [priority] settings, and the weighted mean is shown as 0..100:
--   urgency         grows with days overdue: 0 at 60 or more days before the due date, 0.5 on the due
--                   date, 1 at 60 or more days overdue: clamp((60 - days_until_due) / 120, 0, 1)
--   risk_signals    medication-risk points (tgt_member_signal_points: each drug in a signal adds its
--                   heaviest signal's weight, once) / twice the heaviest signal weight, capped at 1
--                   (an opioid + benzodiazepine pair alone reaches 1 with the default weights)
--   dmp_at_risk     1 for an at-risk beneficiary of the Drug Management Program at D, else 0
--   core_conditions core chronic diseases / the core-disease count of the set in use (9 or 10)
--   part_d_drugs    Part D drug count, 15 or more = 1
--   projected_cost  projected annual cost / (2 x the cost threshold), capped at 1
-- Rank (issue 26 item 10, docs/rules/ledger-and-services.md): ONE ranking per contract across the
-- call list's CMR services (initial offer, annual offer, follow-up), 1..n without gaps or ties, so a
-- caller works one list top-down; the TMRs (the pharmacist's worklist) are ranked apart, the same way.
-- Members in hospice come after everyone else; then overdue services (due before D) before the others;
-- then higher score first; ties broken by the earlier due date, then the service (initial, annual,
-- follow-up), then member_id (ascending).
WITH p AS (SELECT * FROM run_parameters),
heaviest AS (SELECT greatest(max(weight), 0) AS weight FROM run_signal_weight),
components AS (
    SELECT
        s.*,
        c.part_d_drugs,
        c.core_conditions,
        c.projected_annual_cost,
        c.arb,
        coalesce(g.risk_signals, 0)                                                   AS risk_signals,
        coalesce(g.signal_points, 0)                                                  AS signal_points,
        least(1.0, greatest(0.0, (60 - s.days_until_due) / 120.0))                    AS c_urgency,
        CASE WHEN h.weight > 0 THEN least(1.0, coalesce(g.signal_points, 0) / (2 * h.weight))
             ELSE 0.0 END                                                             AS c_risk_signals,
        CASE WHEN c.arb THEN 1.0 ELSE 0.0 END                                         AS c_dmp_at_risk,
        least(1.0, c.core_conditions / greatest(p.core_disease_count, 1))             AS c_core_conditions,
        least(c.part_d_drugs, 15) / 15.0                                              AS c_part_d_drugs,
        least(1.0, CAST(c.projected_annual_cost AS DOUBLE)
                   / greatest(2 * CAST(p.cost_threshold AS DOUBLE), 0.01))            AS c_projected_cost
    FROM tgt_service_due AS s
    CROSS JOIN p
    CROSS JOIN heaviest AS h
    JOIN tgt_member_criteria AS c ON c.member_id = s.member_id
    LEFT JOIN tgt_member_signal_points AS g ON g.member_id = s.member_id
),
scored AS (
    SELECT
        x.*,
        CASE WHEN w.total > 0 THEN round(100 * (
              w.urgency * x.c_urgency + w.risk_signals * x.c_risk_signals + w.dmp_at_risk * x.c_dmp_at_risk
            + w.core_conditions * x.c_core_conditions + w.part_d_drugs * x.c_part_d_drugs
            + w.projected_cost * x.c_projected_cost) / w.total, 1)
        ELSE 0.0 END                                                                   AS priority_score
    FROM components AS x
    CROSS JOIN (
        SELECT priority_urgency AS urgency, priority_risk_signals AS risk_signals,
               priority_dmp_at_risk AS dmp_at_risk,
               priority_core_conditions AS core_conditions, priority_part_d_drugs AS part_d_drugs,
               priority_projected_cost AS projected_cost,
               priority_urgency + priority_risk_signals + priority_dmp_at_risk + priority_core_conditions
                   + priority_part_d_drugs + priority_projected_cost AS total
        FROM run_parameters
    ) AS w
)
SELECT
    *,
    row_number() OVER (PARTITION BY contract_id, service = 'tmr'
                       ORDER BY hospice, days_until_due >= 0, priority_score DESC, due_date, service_order,
                                member_id)                                           AS priority_rank
FROM scored
