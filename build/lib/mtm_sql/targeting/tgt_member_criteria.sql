-- Targeting criteria (targeting-rules.md section 5) for every member enrolled in Part D at D.
-- Reason codes are ResDAC TARG_CRITERIA_MET_REASON: 01 conditions + drugs + cost, 02 DMP at-risk
-- beneficiary, 03 both, 04 neither.
WITH p AS (SELECT * FROM run_parameters),
facts AS (
    SELECT
        m.member_id, m.contract_id, m.pbp_id, m.age,
        CASE WHEN p.drug_count_scope = 'maintenance' THEN d.maintenance_drugs ELSE d.active_drugs END
                                                          AS part_d_drugs,
        d.maintenance_drugs,
        c.projected_annual_cost,
        k.* EXCLUDE (member_id),
        k.core_conditions >= p.min_core_conditions        AS meets_conditions,
        (CASE WHEN p.drug_count_scope = 'maintenance' THEN d.maintenance_drugs ELSE d.active_drugs END)
            >= p.min_part_d_drugs                         AS meets_drugs,
        c.projected_annual_cost >= p.cost_threshold       AS meets_cost,
        a.member_id IS NOT NULL                           AS arb
    FROM core_member AS m
    CROSS JOIN p
    JOIN core_member_drug_count AS d ON d.member_id = m.member_id
    JOIN core_member_cost AS c ON c.member_id = m.member_id
    JOIN core_member_condition AS k ON k.member_id = m.member_id
    LEFT JOIN tgt_member_arb AS a ON a.member_id = m.member_id
    WHERE m.enrolled
)
SELECT
    *,
    CASE
        WHEN meets_conditions AND meets_drugs AND meets_cost AND arb THEN '03'
        WHEN meets_conditions AND meets_drugs AND meets_cost THEN '01'
        WHEN arb THEN '02'
        ELSE '04'
    END                                                   AS targeting_reason,
    (meets_conditions AND meets_drugs AND meets_cost) OR arb AS meets_criteria
FROM facts
