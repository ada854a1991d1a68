-- The conditions an interaction of the cited table may require (pipelines/reference/data/
-- interaction_conditions.csv, PROVENANCE.md; targeting-rules.md section 8): `ckd_3a_plus` = chronic kidney
-- disease stage 3a or worse, the condition under which AGS Beers 2023 Table 5 lists RAS inhibitor /
-- potassium-sparing diuretic pairs. Evidence is a diagnosis code (ICD-10-CM or ICD-9-CM prefix, dots
-- removed; a claim code matches when it starts with it) or a member status (`esrd`).
SELECT
    condition,
    evidence,
    CASE evidence WHEN 'icd10' THEN '10' WHEN 'icd9' THEN '9' END   AS icd_version,
    CASE evidence WHEN 'status' THEN code ELSE upper(replace(code, '.', '')) END AS code,
    description,
    source
FROM seed_interaction_conditions
