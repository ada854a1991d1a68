-- The drug reference (pipelines/reference/data/drug_reference.csv, PROVENANCE.md): one row per drug key
-- (an ingredient or a combination), with its current WHO ATC code(s), readable class, maintenance flag,
-- PQA class memberships and risk flags (targeting-rules.md sections 2, 8, 9).
SELECT
    drug_key,
    atc_codes,
    drug_class,
    maintenance = '1'                AS maintenance,
    pqa_statin = '1'                 AS pqa_statin,
    pqa_ras = '1'                    AS pqa_ras,
    pqa_diabetes_noninsulin = '1'    AS pqa_diabetes_noninsulin,
    pqa_insulin = '1'                AS pqa_insulin,
    pqa_sacubitril_valsartan = '1'   AS pqa_sacubitril_valsartan,
    opioid = '1'                     AS opioid,
    benzodiazepine = '1'             AS benzodiazepine,
    anticholinergic = '1'            AS anticholinergic,
    cns_active = '1'                 AS cns_active,
    high_risk_elderly = '1'          AS high_risk_elderly,
    list_filter(string_split(coalesce(atc_codes, ''), ';'), x -> x <> '') AS atc_code_list
FROM seed_drug_reference
