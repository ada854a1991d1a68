-- Every diagnosis code of every current medical claim, one row per claim x position, normalised
-- (dots removed, upper case) and marked valid when the code, or a code it is a prefix of, is in the
-- ICD-10-CM (FY2024+) or ICD-9-CM (v32) code set.
WITH codes AS (
    UNPIVOT stg_medical_claim
    ON COLUMNS('diagnosis_code_[0-9]+')
    INTO NAME position_name VALUE raw_code
)
SELECT
    c._file, c._row, c._seq, c.claim_id, c.member_id, c.claim_type, c.claim_start_date, c.icd_version,
    c.position_name,
    normalise_icd(c.raw_code)                 AS code,
    v.code IS NOT NULL                        AS is_valid
FROM codes AS c
LEFT JOIN ref_icd_valid AS v
  ON v.icd_version = c.icd_version
 AND v.code = normalise_icd(c.raw_code)
WHERE normalise_icd(c.raw_code) IS NOT NULL
