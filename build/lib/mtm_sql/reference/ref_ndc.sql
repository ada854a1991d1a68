-- NDC -> drug: the plan's own imports (`mtm reference import`) first, NDC by NDC, then the shipped map
-- (pipelines/reference/data/ndc_map.csv). The compound NDC 00000000000 is never looked up.
SELECT ndc11, drug_key, route, dosage_form, atc_code, source
FROM ref_ndc_import
UNION ALL
SELECT s.ndc11, s.drug_key, s.route, s.dosage_form, s.atc_code, s.source
FROM seed_ndc_map AS s
WHERE s.ndc11 NOT IN (SELECT ndc11 FROM ref_ndc_import)
