-- Every diagnosis code of every current medical claim, one row per claim x position, normalised
-- (dots removed, upper case) and marked valid when the code, or a code it is a prefix of, is in the
-- ICD-10-CM code set of the claim's fiscal year (FY = year of claim_start_date, + 1 from 1 October;
-- before the first shipped FY the first is used, after the last the last) or in ICD-9-CM (v32).
-- code_year_note says why a code that exists in another fiscal year is not valid for this claim.
WITH codes AS (
    UNPIVOT stg_medical_claim
    ON COLUMNS('diagnosis_code_[0-9]+')
    INTO NAME position_name VALUE raw_code
),
fy_bounds AS (SELECT min(first_fy) AS first_fy, max(last_fy) AS last_fy FROM ref_icd_valid),
dated AS (
    SELECT c.*, normalise_icd(c.raw_code) AS code,
           greatest(b.first_fy, least(b.last_fy,
               year(c.claim_start_date) + CASE WHEN month(c.claim_start_date) >= 10 THEN 1 ELSE 0 END)) AS fiscal_year
    FROM codes AS c, fy_bounds AS b
    WHERE normalise_icd(c.raw_code) IS NOT NULL
)
SELECT
    d._file, d._row, d._seq, d.claim_id, d.member_id, d.claim_type, d.claim_start_date, d.icd_version,
    d.position_name,
    d.code,
    v.code IS NOT NULL AND coalesce(d.fiscal_year BETWEEN v.first_fy AND v.last_fy, true) AS is_valid,
    CASE WHEN v.code IS NOT NULL AND NOT coalesce(d.fiscal_year BETWEEN v.first_fy AND v.last_fy, true)
         THEN ' of FY' || d.fiscal_year || ' (the code is valid FY' || v.first_fy || '-FY' || v.last_fy || ')'
         ELSE '' END AS code_year_note
FROM dated AS d
LEFT JOIN ref_icd_valid AS v
  ON v.icd_version = d.icd_version
 AND v.code = d.code
