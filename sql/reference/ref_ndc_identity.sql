-- Every NDC11 the pipeline can identify, with the ingredient set (drug_key) it stands for
-- (targeting-rules.md section 2, "Drug identity": NDC -> ingredient set). One row per NDC11, by
-- precedence:
--   1. plan_import  a plan's own imports (`mtm reference import`; a later import replaced an earlier one)
--   2. curated      the shipped curated map ndc_map.csv (it carries product ATC codes for combinations)
--   3. fda_ndc_directory  the map derived from the FDA NDC Directory 2019-04-29 (fda_ndc_map.parquet):
--                   every listed package, its SUBSTANCENAME normalised like a generic name, so an
--                   ingredient the drug reference does not know still has one stable key.
-- ref_ndc already holds 1 and 2 (imports replace curated rows NDC by NDC).
SELECT
    ndc11,
    drug_key,
    route,
    dosage_form,
    nullif(atc_code, '')                                   AS atc_code,
    CASE WHEN ndc11 IN (SELECT ndc11 FROM ref_ndc_import) THEN 'plan_import'
         ELSE 'curated' END                                AS ndc_map
FROM ref_ndc
WHERE ndc11 <> '00000000000'
UNION ALL
SELECT
    f.ndc11,
    f.drug_key,
    f.route,
    f.dosage_form,
    NULL                                                   AS atc_code,
    'fda_ndc_directory'                                    AS ndc_map
FROM seed_fda_ndc_map AS f
WHERE f.drug_key IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ref_ndc AS n WHERE n.ndc11 = f.ndc11)
