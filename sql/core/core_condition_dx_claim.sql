-- The diagnosis claims that are evidence of a core chronic disease (targeting-rules.md section 4): one row per
-- claim x code x condition for claims starting in the last dx_lookback_days with a code of the condition's
-- value set in any position (a code matches when it starts with a listed prefix). Hospice claims are not
-- evidence. core_condition_dx applies the claim-type and count rule; the portal's member page lists these rows.
WITH p AS (SELECT * FROM run_parameters)
SELECT DISTINCT d.member_id, v.core_condition, d.claim_id, d.claim_type, d.claim_start_date, d.code
FROM stg_diagnosis AS d
CROSS JOIN p
JOIN ref_condition_dx AS v
  ON v.icd_version = d.icd_version
 AND left(v.code_prefix, 3) = left(d.code, 3)
 AND starts_with(d.code, v.code_prefix)
WHERE d.claim_start_date BETWEEN p.as_of_date - (p.dx_lookback_days - 1) AND p.as_of_date
  AND d.claim_type <> 'hospice'
