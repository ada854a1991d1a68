-- Medical claims (header level): one row per claim_id after the same version rule as fills.
-- SPARK VARIANT of stg_medical_claim.sql (issue 31; listed in README.md, docs/rules/spark.md): the diagnosis columns named one by one (Spark has no COLUMNS(regex)); pipelines/ingest/contract.py DIAGNOSIS_POSITIONS = 25.
WITH valid AS (
  SELECT
    *,
    HASH(claim_id) AS _claim_hash
  FROM raw_medical_claim
  WHERE
    NOT _seq IN (
      SELECT
        _seq
      FROM row_rejects
      WHERE
        table_name = 'medical_claim'
    )
    AND (
      (
        COALESCE(
          TRY_CAST(processed_at AS TIMESTAMP_NTZ) <= (
            SELECT
              as_known_at
            FROM run_parameters
          ),
          TRUE
        )
      )
    )
), repeated_hash AS (
  SELECT
    _claim_hash
  FROM valid
  GROUP BY
    _claim_hash
  HAVING
    COUNT(*) > 1
), winning_version AS (
  SELECT
    MAX_BY(
      _seq,
      (
        COALESCE(TRY_CAST(processed_at AS TIMESTAMP_NTZ), CAST('0001-01-01' AS TIMESTAMP_NTZ)),
        _seq
      )
    ) AS _seq
  FROM valid
  WHERE
    _claim_hash IN (
      SELECT
        _claim_hash
      FROM repeated_hash
    )
  GROUP BY
    claim_id
)
SELECT
  _file,
  _row,
  _seq,
  claim_id,
  member_id,
  LOWER(claim_type) AS claim_type,
  claim_start_date AS claim_start_date,
  claim_end_date AS claim_end_date,
  COALESCE(icd_version, '10') AS icd_version,
  diagnosis_code_1,
  diagnosis_code_2,
  diagnosis_code_3,
  diagnosis_code_4,
  diagnosis_code_5,
  diagnosis_code_6,
  diagnosis_code_7,
  diagnosis_code_8,
  diagnosis_code_9,
  diagnosis_code_10,
  diagnosis_code_11,
  diagnosis_code_12,
  diagnosis_code_13,
  diagnosis_code_14,
  diagnosis_code_15,
  diagnosis_code_16,
  diagnosis_code_17,
  diagnosis_code_18,
  diagnosis_code_19,
  diagnosis_code_20,
  diagnosis_code_21,
  diagnosis_code_22,
  diagnosis_code_23,
  diagnosis_code_24,
  diagnosis_code_25
FROM (
  SELECT
    *
    EXCEPT (_claim_hash)
  FROM valid
  WHERE
    NOT _claim_hash IN (
      SELECT
        _claim_hash
      FROM repeated_hash
    )
    OR _seq IN (
      SELECT
        _seq
      FROM winning_version
    )
) AS current_versions
WHERE
  COALESCE(LOWER(claim_status), 'paid') <> 'reversed'
