-- The core chronic diseases in force: ten from CY2025, nine before (no HIV/AIDS).
-- A settings file may apply another year's set to historical data (core_disease_set).
SELECT d.core_condition
FROM (VALUES ('alzheimers'), ('bone_arthritis'), ('heart_failure'), ('diabetes'), ('dyslipidemia'),
             ('esrd'), ('hiv_aids'), ('hypertension'), ('mental_health'), ('respiratory')) AS d(core_condition)
CROSS JOIN run_parameters AS p
WHERE d.core_condition <> 'hiv_aids' OR p.core_disease_count >= 10
