-- Medical claims (header level): one row per claim_id after the same version rule as fills.
WITH valid AS (
    SELECT *
    FROM raw_medical_claim
    WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'medical_claim')
),
winning_version AS (
    SELECT arg_max(_seq, (coalesce(try_cast(processed_at AS TIMESTAMP), TIMESTAMP '0001-01-01'), _seq)) AS _seq
    FROM valid
    GROUP BY claim_id
),
latest AS (
    SELECT * FROM valid WHERE _seq IN (SELECT _seq FROM winning_version)
)
SELECT
    _file, _row, _seq,
    claim_id,
    member_id,
    lower(claim_type)                    AS claim_type,
    parse_date(claim_start_date)         AS claim_start_date,
    parse_date(claim_end_date)           AS claim_end_date,
    coalesce(icd_version, '10')          AS icd_version,
    COLUMNS('diagnosis_code_[0-9]+')
FROM latest
WHERE coalesce(lower(claim_status), 'paid') <> 'reversed'
