-- The drug reference: one row per drug key (an ingredient or a combination) the pipeline can meet, with
-- its WHO ATC code(s), readable class, maintenance flag, PQA class memberships and risk flags
-- (targeting-rules.md sections 2, 8, 9).
--   curated rows   pipelines/reference/data/drug_reference.csv (PROVENANCE.md), as curated
--   ingredient rows  every other key of the NDC maps (plan imports, curated, FDA NDC Directory), of the
--                  weight-management products and of the claims' generic names that has a known
--                  ingredient: "a combination product carries every class of each of its ingredients"
--                  and "no fill with a known ingredient set may fall out of a rule for want of a curated
--                  row" (section 2). So canagliflozin / metformin (Invokamet, FDA map only) is a SGLT2
--                  inhibitor and a biguanide: its flags are the union (bool_or) of its curated
--                  ingredients' flags, its ATC codes all of theirs; its readable class is the class of
--                  one ingredient: one with a PQA class first, then one with a risk flag, then the first
--                  in name order (docs/rules/drug-identity.md, issue 25 item 2).
--   anticholinergic  for every key: an ingredient is on the AGS Beers 2023 Table 7 list of strongly
--                  anticholinergic drugs (beers_2023_strong_anticholinergics.csv, section 9 readings of
--                  2026-12-07); one definition for the risk signal and Poly-ACH.
--   opioid_analgesic  an ingredient is an opioid analgesic (opioid_analgesic_ingredients.csv: N02A, and
--                  hydrocodone); the product rules of COB (not buprenorphine for opioid use disorder,
--                  not injectables) are applied per fill in core_year_fill.
--   flag_source    curated | ingredients
WITH curated AS (
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
        cns_active = '1'                 AS cns_active,
        high_risk_elderly = '1'          AS high_risk_elderly
    FROM seed_drug_reference
),
other_key AS (  -- the keys the maps and the claims can give that are not curated
    SELECT drug_key FROM ref_ndc_identity
    UNION SELECT drug_key FROM seed_weight_management_products
    UNION SELECT drug_key FROM ref_generic_name
    EXCEPT SELECT drug_key FROM curated
),
key_ingredient AS (
    SELECT drug_key, unnest(string_split(drug_key, ' / ')) AS ingredient FROM other_key WHERE drug_key IS NOT NULL
),
ingredient_row AS (
    SELECT
        k.drug_key,
        string_agg(DISTINCT c.atc_codes, ';' ORDER BY c.atc_codes) FILTER (WHERE coalesce(c.atc_codes, '') <> '')
                                                                      AS atc_codes,
        arg_min(c.drug_class, (
            NOT (c.pqa_statin OR c.pqa_ras OR c.pqa_diabetes_noninsulin OR c.pqa_insulin),
            NOT (c.opioid OR c.benzodiazepine OR c.cns_active OR c.high_risk_elderly),
            c.drug_key))                                              AS drug_class,
        bool_or(c.maintenance)              AS maintenance,
        bool_or(c.pqa_statin)               AS pqa_statin,
        bool_or(c.pqa_ras)                  AS pqa_ras,
        bool_or(c.pqa_diabetes_noninsulin)  AS pqa_diabetes_noninsulin,
        bool_or(c.pqa_insulin)              AS pqa_insulin,
        bool_or(c.pqa_sacubitril_valsartan) AS pqa_sacubitril_valsartan,
        bool_or(c.opioid)                   AS opioid,
        bool_or(c.benzodiazepine)           AS benzodiazepine,
        bool_or(c.cns_active)               AS cns_active,
        bool_or(c.high_risk_elderly)        AS high_risk_elderly
    FROM key_ingredient AS k
    JOIN curated AS c ON c.drug_key = k.ingredient
    GROUP BY k.drug_key
),
listed_only AS (  -- uncurated keys with no curated ingredient but an ingredient on a cited list
    SELECT DISTINCT k.drug_key
    FROM key_ingredient AS k
    WHERE k.drug_key NOT IN (SELECT drug_key FROM ingredient_row)
      AND (k.ingredient IN (SELECT ingredient FROM seed_beers_2023_strong_anticholinergics)
           OR k.ingredient IN (SELECT ingredient FROM seed_opioid_analgesic_ingredients))
),
drug AS (
    SELECT *, 'curated' AS flag_source FROM curated
    UNION ALL BY NAME
    SELECT *, 'ingredients' AS flag_source FROM ingredient_row
    UNION ALL BY NAME
    SELECT drug_key, false AS maintenance, false AS pqa_statin, false AS pqa_ras, false AS pqa_diabetes_noninsulin,
           false AS pqa_insulin, false AS pqa_sacubitril_valsartan, false AS opioid, false AS benzodiazepine,
           false AS cns_active, false AS high_risk_elderly, 'ingredients' AS flag_source
    FROM listed_only
),
listed AS (
    SELECT d.drug_key,
           bool_or(i IN (SELECT ingredient FROM seed_beers_2023_strong_anticholinergics)) AS anticholinergic,
           bool_or(i IN (SELECT ingredient FROM seed_opioid_analgesic_ingredients))       AS opioid_analgesic
    FROM (SELECT drug_key, unnest(string_split(drug_key, ' / ')) AS i FROM drug) AS d
    GROUP BY d.drug_key
)
SELECT
    d.drug_key,
    d.atc_codes,
    d.drug_class,
    d.maintenance,
    d.pqa_statin,
    d.pqa_ras,
    d.pqa_diabetes_noninsulin,
    d.pqa_insulin,
    d.pqa_sacubitril_valsartan,
    d.opioid OR l.opioid_analgesic                 AS opioid,
    d.benzodiazepine,
    l.anticholinergic,
    d.cns_active OR l.opioid_analgesic             AS cns_active,
    d.high_risk_elderly,
    l.opioid_analgesic,
    list_filter(string_split(coalesce(d.atc_codes, ''), ';'), x -> x <> '') AS atc_code_list,
    d.flag_source
FROM drug AS d
JOIN listed AS l ON l.drug_key = d.drug_key
