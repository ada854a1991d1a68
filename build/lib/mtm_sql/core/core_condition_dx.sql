-- Condition evidence from diagnoses (targeting-rules.md section 4): claims starting in the last
-- dx_lookback_days with a code of the condition's value set in any position; at least one
-- inpatient / SNF / home-health claim, or at least two outpatient / professional claims (pooled)
-- on different dates. Hospice claims are not evidence. Sub-conditions of one disease pool.
WITH p AS (SELECT * FROM run_parameters),
matched AS (
    SELECT DISTINCT d.member_id, v.core_condition, d.claim_id, d.claim_type, d.claim_start_date
    FROM stg_diagnosis AS d
    CROSS JOIN p
    JOIN ref_condition_dx AS v
      ON v.icd_version = d.icd_version
     AND left(v.code_prefix, 3) = left(d.code, 3)
     AND starts_with(d.code, v.code_prefix)
    WHERE d.claim_start_date BETWEEN p.as_of_date - (p.dx_lookback_days - 1) AND p.as_of_date
      AND d.claim_type <> 'hospice'
)
SELECT
    member_id,
    core_condition,
    'dx'                                   AS source,
    min(claim_start_date)                  AS first_evidence_date,
    max(claim_start_date)                  AS last_evidence_date,
    count(DISTINCT claim_id)               AS evidence_count
FROM matched
GROUP BY member_id, core_condition
HAVING count(DISTINCT claim_id) FILTER (WHERE claim_type IN ('inpatient', 'snf', 'home_health')) >= 1
    OR count(DISTINCT claim_start_date) FILTER (WHERE claim_type IN ('outpatient', 'professional')) >= 2
