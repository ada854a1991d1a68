-- Every rejected input row or dropped value, with the file, row number, column and reason.
-- counts_toward_threshold is false for dropped diagnosis codes (input-contract.md, "Bad input").
SELECT table_name, file, row_number, column_name, reason, value, true AS counts_toward_threshold
FROM row_rejects
UNION ALL
SELECT 'eligibility', _file, _row, 'enrollment_start_date',
       'enrollment span overlaps the span at ' || overlaps_file || ' row ' || overlaps_row
       || ' in contract ' || contract_id,
       NULL, true
FROM stg_eligibility_overlap
UNION ALL
SELECT 'medical_claim', _file, _row, position_name,
       'diagnosis code not in the ICD-' || icd_version || '-CM code set' || code_year_note || ' (dropped from the claim)',
       code, false
FROM stg_diagnosis_all
WHERE NOT is_valid
