-- member_summary: one row per member enrolled in Part D at D, with exactly the contract columns of
-- outputs.md. MTM fields come from the ledger row of the member's contract at D.
-- SPARK VARIANT of member_summary.sql (issue 31; listed in README.md, docs/rules/spark.md): the core-disease flags named one by one (Spark has no COLUMNS(regex)), in ref_core_disease display order.
WITH p AS (
  SELECT
    *
  FROM run_parameters
)
SELECT
  c.member_id,
  c.contract_id,
  c.pbp_id,
  p.as_of_date,
  c.age,
  CAST(c.part_d_drugs AS INT) AS part_d_drugs,
  CAST(c.maintenance_drugs AS INT) AS maintenance_drugs,
  c.projected_annual_cost,
  CAST(c.core_conditions AS INT) AS core_conditions,
  c.cond_alzheimers,
  c.cond_bone_arthritis,
  c.cond_heart_failure,
  c.cond_diabetes,
  c.cond_dyslipidemia,
  c.cond_esrd,
  c.cond_hiv_aids,
  c.cond_hypertension,
  c.cond_mental_health,
  c.cond_respiratory,
  c.meets_conditions,
  c.meets_drugs,
  c.meets_cost,
  c.arb,
  c.targeting_reason,
  c.meets_criteria,
  COALESCE(e.mtm_enrolled, FALSE) AS mtm_enrolled,
  COALESCE(e.date_met_criteria, CASE WHEN c.meets_criteria THEN p.as_of_date END) AS date_met_criteria,
  e.mtm_enrollment_date,
  e.enrollment_source,
  COALESCE(e.opt_out_date, r.opt_out_date) AS opt_out_date,
  COALESCE(e.opt_out_reason, r.opt_out_reason) AS opt_out_reason,
  COALESCE(s.risk_flags, '') AS risk_flags,
  s.priority_score
FROM tgt_member_criteria AS c
CROSS JOIN p
LEFT JOIN tgt_mtm_enrollment AS e
  ON e.member_id = c.member_id AND e.contract_id = c.contract_id
LEFT JOIN tgt_opt_out_request AS r
  ON r.member_id = c.member_id AND r.contract_id = c.contract_id
LEFT JOIN tgt_member_priority AS s
  ON s.member_id = c.member_id
ORDER BY
  c.contract_id NULLS LAST,
  c.member_id NULLS LAST
