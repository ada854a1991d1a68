-- The diagnosis value sets of the core chronic diseases (reference/core_condition_icd10.csv and
-- core_condition_icd9.csv): a claim code matches a condition when it starts with a listed prefix.
SELECT '10' AS icd_version, core_condition, sub_condition, upper(replace(icd10cm_prefix, '.', '')) AS code_prefix
FROM seed_core_condition_icd10
UNION ALL
SELECT '9', core_condition, sub_condition, upper(replace(icd9cm_prefix, '.', ''))
FROM seed_core_condition_icd9
