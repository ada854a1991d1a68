-- criteria_whatif (outputs.md): how many Part D enrollees at D would meet the MTM criteria, and the CMR
-- workload, under each combination of minimum core conditions (2, 3), minimum Part D drugs (2..8) and
-- cost threshold (the contract year's CMS value and the plan's own), per contract, against the plan's
-- current settings (targeting-rules.md section 5: reason 01 under the combination, or a DMP at-risk
-- beneficiary). Drug counts, conditions and cost are this run's (its drug_count_scope, cost_method and
-- windows). cmr_workload = of those members, the ones without a completed CMR in the contract this
-- year (the CMRs still to be done). A plan threshold equal to the CMS value gives two identical rows.
WITH p AS (SELECT * FROM run_parameters),
thresholds AS (
    SELECT 'cms' AS threshold_source, r.cost_threshold FROM ref_cms_parameters AS r, p
    WHERE r.contract_year = p.contract_year
    UNION ALL
    SELECT 'plan', p.cost_threshold FROM p
),
combos AS (
    SELECT c.min_core_conditions, d.min_part_d_drugs, t.threshold_source, t.cost_threshold
    FROM (VALUES (2), (3)) AS c(min_core_conditions)
    CROSS JOIN range(2, 9) AS d(min_part_d_drugs)
    CROSS JOIN thresholds AS t
),
member AS (
    SELECT c.member_id, c.contract_id, c.core_conditions, c.part_d_drugs, c.projected_annual_cost, c.arb,
           EXISTS (SELECT 1 FROM tgt_mtm_event AS e
                    WHERE e.member_id = c.member_id AND e.contract_id = c.contract_id
                      AND e.event_type = 'cmr_completed') AS cmr_done
    FROM tgt_member_criteria AS c
),
counted AS (
    SELECT m.contract_id, k.min_core_conditions, k.min_part_d_drugs, k.threshold_source, k.cost_threshold,
           count(*) FILTER (WHERE meets)                  AS members_meeting,
           count(*) FILTER (WHERE meets AND NOT cmr_done) AS cmr_workload
    FROM member AS m
    CROSS JOIN combos AS k
    CROSS JOIN LATERAL (SELECT (m.core_conditions >= k.min_core_conditions AND m.part_d_drugs >= k.min_part_d_drugs
                                AND m.projected_annual_cost >= k.cost_threshold) OR m.arb AS meets) AS x
    GROUP BY ALL
),
flagged AS (
    SELECT c.*,
           c.min_core_conditions = p.min_core_conditions AND c.min_part_d_drugs = p.min_part_d_drugs
               AND c.threshold_source = 'plan'            AS is_current
    FROM counted AS c, p
)
SELECT
    f.contract_id, f.min_core_conditions, f.min_part_d_drugs, f.threshold_source, f.cost_threshold,
    f.is_current,
    f.members_meeting::INTEGER                                  AS members_meeting,
    f.cmr_workload::INTEGER                                     AS cmr_workload,
    (f.members_meeting - cur.members_meeting)::INTEGER          AS members_meeting_change,
    (f.cmr_workload - cur.cmr_workload)::INTEGER                AS cmr_workload_change
FROM flagged AS f
JOIN flagged AS cur ON cur.contract_id = f.contract_id AND cur.is_current
ORDER BY f.contract_id, f.threshold_source, f.min_core_conditions, f.min_part_d_drugs
