-- Every diagnosis code of every current medical claim, one row per claim x position, normalised
-- (dots removed, upper case) and marked valid when the code, or a code it is a prefix of, is in the
-- ICD-10-CM code set of the claim's fiscal year (FY = year of claim_start_date, + 1 from 1 October;
-- before the first shipped FY the first is used, after the last the last) or in ICD-9-CM (v32).
-- code_year_note says why a code that exists in another fiscal year is not valid for this claim.
-- SPARK VARIANT of stg_diagnosis_all.sql (issue 31; listed in README.md, docs/rules/spark.md): UNPIVOT in Spark's syntax with the diagnosis columns named (DuckDB's ON COLUMNS(regex)).
WITH codes AS (
  SELECT
    *
  FROM stg_medical_claim
    UNPIVOT (raw_code FOR position_name IN (diagnosis_code_1, diagnosis_code_2, diagnosis_code_3, diagnosis_code_4, diagnosis_code_5, diagnosis_code_6, diagnosis_code_7, diagnosis_code_8, diagnosis_code_9, diagnosis_code_10, diagnosis_code_11, diagnosis_code_12, diagnosis_code_13, diagnosis_code_14, diagnosis_code_15, diagnosis_code_16, diagnosis_code_17, diagnosis_code_18, diagnosis_code_19, diagnosis_code_20, diagnosis_code_21, diagnosis_code_22, diagnosis_code_23, diagnosis_code_24, diagnosis_code_25))
), fy_bounds AS (
  SELECT
    MIN(first_fy) AS first_fy,
    MAX(last_fy) AS last_fy
  FROM ref_icd_valid
), dated AS (
  SELECT
    c.*,
    (
      NULLIF(
        UPPER(
          REPLACE(TRIM(' ' || CHR(  9) || CHR(  13) || CHR(  10) FROM c.raw_code), '.', '')
        ),
        ''
      )
    ) AS code,
    GREATEST(
      b.first_fy,
      LEAST(
        b.last_fy,
        YEAR(c.claim_start_date) + CASE WHEN MONTH(c.claim_start_date) >= 10 THEN 1 ELSE 0 END
      )
    ) AS fiscal_year
  FROM codes AS c, fy_bounds AS b
  WHERE
    NOT (
      NULLIF(
        UPPER(
          REPLACE(TRIM(' ' || CHR(  9) || CHR(  13) || CHR(  10) FROM c.raw_code), '.', '')
        ),
        ''
      )
    ) IS NULL
)
SELECT
  d._file,
  d._row,
  d._seq,
  d.claim_id,
  d.member_id,
  d.claim_type,
  d.claim_start_date,
  d.icd_version,
  d.position_name,
  d.code,
  NOT v.code IS NULL
  AND COALESCE(d.fiscal_year BETWEEN v.first_fy AND v.last_fy, TRUE) AS is_valid,
  CASE
    WHEN NOT v.code IS NULL
    AND NOT COALESCE(d.fiscal_year BETWEEN v.first_fy AND v.last_fy, TRUE)
    THEN ' of FY' || d.fiscal_year || ' (the code is valid FY' || v.first_fy || '-FY' || v.last_fy || ')'
    ELSE ''
  END AS code_year_note
FROM dated AS d
LEFT JOIN ref_icd_valid AS v
  ON v.icd_version = d.icd_version AND v.code = d.code
