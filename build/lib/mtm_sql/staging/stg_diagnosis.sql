-- Valid diagnosis codes of current medical claims: what condition evidence is read from.
-- Invalid codes are dropped from their claim (and reported in rejects); the claim's other codes count.
SELECT DISTINCT claim_id, member_id, claim_type, claim_start_date, icd_version, code
FROM stg_diagnosis_all
WHERE is_valid
