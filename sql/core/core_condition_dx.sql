-- Condition evidence from diagnoses (targeting-rules.md section 4), from the evidence claims of
-- core_condition_dx_claim: at least one inpatient / SNF / home-health claim, or at least two outpatient /
-- professional claims (pooled) on different dates. Sub-conditions of one disease pool.
SELECT
    member_id,
    core_condition,
    'dx'                                   AS source,
    min(claim_start_date)                  AS first_evidence_date,
    max(claim_start_date)                  AS last_evidence_date,
    count(DISTINCT claim_id)               AS evidence_count
FROM core_condition_dx_claim
GROUP BY member_id, core_condition
HAVING count(DISTINCT claim_id) FILTER (WHERE claim_type IN ('inpatient', 'snf', 'home_health')) >= 1
    OR count(DISTINCT claim_start_date) FILTER (WHERE claim_type IN ('outpatient', 'professional')) >= 2
