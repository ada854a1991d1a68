-- Members with a diagnosis exclusion of a PQA measure in the measurement year (qm_exclusion_diagnosis):
-- a valid ICD-10-CM code of a current medical claim dated 1 January .. D that starts with a listed
-- prefix. One row per member x measure, the alphabetically first reason when several apply.
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters)
SELECT d.member_id, x.measure_id, min(x.exclusion_reason) AS exclusion_reason
FROM stg_diagnosis AS d
CROSS JOIN p
JOIN qm_exclusion_diagnosis AS x ON starts_with(d.code, x.icd10_prefix)
WHERE d.icd_version = '10' AND d.claim_start_date BETWEEN p.cy_start AND p.as_of_date
GROUP BY d.member_id, x.measure_id
