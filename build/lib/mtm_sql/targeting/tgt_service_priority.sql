-- Priority score and rank per member x service due (targeting-rules.md section 8). Each component is
-- scaled to 0..1, weighted by the plan's [priority] settings, and the weighted mean is shown as 0..100:
--   urgency         1 when the service is due today or overdue, falling linearly to 0 at 60 or more
--                   days before the due date: clamp((60 - days_until_due) / 60, 0, 1)
--   risk_signals    distinct medication-risk signals (tgt_risk_signal), 3 or more = 1
--   core_conditions core chronic diseases / the core-disease count of the set in use (9 or 10)
--   part_d_drugs    Part D drug count, 15 or more = 1
--   projected_cost  projected annual cost / (2 x the cost threshold), capped at 1
-- Rank: within contract x service, 1..n without gaps or ties. Members in hospice come after everyone
-- else; then higher score first; ties broken by the earlier due date, then by member_id (ascending).
WITH p AS (SELECT * FROM run_parameters),
signals AS (
    SELECT member_id, count(DISTINCT signal) AS risk_signals
    FROM tgt_risk_signal
    GROUP BY member_id
),
components AS (
    SELECT
        s.*,
        c.part_d_drugs,
        c.core_conditions,
        c.projected_annual_cost,
        c.arb,
        coalesce(g.risk_signals, 0)                                                   AS risk_signals,
        least(1.0, greatest(0.0, (60 - s.days_until_due) / 60.0))                     AS c_urgency,
        least(coalesce(g.risk_signals, 0), 3) / 3.0                                   AS c_risk_signals,
        least(1.0, c.core_conditions / greatest(p.core_disease_count, 1))             AS c_core_conditions,
        least(c.part_d_drugs, 15) / 15.0                                              AS c_part_d_drugs,
        least(1.0, CAST(c.projected_annual_cost AS DOUBLE)
                   / greatest(2 * CAST(p.cost_threshold AS DOUBLE), 0.01))            AS c_projected_cost
    FROM tgt_service_due AS s
    CROSS JOIN p
    JOIN tgt_member_criteria AS c ON c.member_id = s.member_id
    LEFT JOIN signals AS g ON g.member_id = s.member_id
),
scored AS (
    SELECT
        x.*,
        CASE WHEN w.total > 0 THEN round(100 * (
              w.urgency * x.c_urgency + w.risk_signals * x.c_risk_signals
            + w.core_conditions * x.c_core_conditions + w.part_d_drugs * x.c_part_d_drugs
            + w.projected_cost * x.c_projected_cost) / w.total, 1)
        ELSE 0.0 END                                                                   AS priority_score
    FROM components AS x
    CROSS JOIN (
        SELECT priority_urgency AS urgency, priority_risk_signals AS risk_signals,
               priority_core_conditions AS core_conditions, priority_part_d_drugs AS part_d_drugs,
               priority_projected_cost AS projected_cost,
               priority_urgency + priority_risk_signals + priority_core_conditions
                   + priority_part_d_drugs + priority_projected_cost AS total
        FROM run_parameters
    ) AS w
)
SELECT
    *,
    row_number() OVER (PARTITION BY contract_id, service
                       ORDER BY hospice, priority_score DESC, due_date, member_id)   AS priority_rank
FROM scored
