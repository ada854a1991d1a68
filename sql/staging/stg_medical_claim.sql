-- Medical claims (header level): one row per claim_id after the same version rule as fills.
SELECT
    _file, _row, _seq,
    claim_id,
    member_id,
    lower(claim_type)                    AS claim_type,
    claim_start_date         AS claim_start_date,
    claim_end_date           AS claim_end_date,
    coalesce(icd_version, '10')          AS icd_version,
    COLUMNS('diagnosis_code_[0-9]+')
FROM current_versions('raw_medical_claim', 'medical_claim')
WHERE coalesce(lower(claim_status), 'paid') <> 'reversed'
