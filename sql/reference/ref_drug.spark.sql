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
--                  in name order (docs/decisions.md, issue 25 item 2).
--   anticholinergic  for every key: an ingredient is on the AGS Beers 2023 Table 7 list of strongly
--                  anticholinergic drugs (beers_2023_strong_anticholinergics.csv, section 9 readings of
--                  2026-12-07); one definition for the risk signal and Poly-ACH.
--   opioid_analgesic  an ingredient is an opioid analgesic (opioid_analgesic_ingredients.csv: N02A, and
--                  hydrocodone); the product rules of COB (not buprenorphine for opioid use disorder,
--                  not injectables) are applied per fill in core_year_fill.
--   flag_source    curated | ingredients
-- SPARK VARIANT of ref_drug.sql (issue 31; listed in README.md, docs/rules/spark.md): the union of curated and derived rows by position, every column named (Spark SQL has no UNION BY NAME);
-- the sorted distinct ATC codes joined by collect_set/array_sort (Spark's LISTAGG(DISTINCT) fails to plan).
WITH curated AS (
  SELECT
    drug_key,
    atc_codes,
    drug_class,
    maintenance = '1' AS maintenance,
    pqa_statin = '1' AS pqa_statin,
    pqa_ras = '1' AS pqa_ras,
    pqa_diabetes_noninsulin = '1' AS pqa_diabetes_noninsulin,
    pqa_insulin = '1' AS pqa_insulin,
    pqa_sacubitril_valsartan = '1' AS pqa_sacubitril_valsartan,
    opioid = '1' AS opioid,
    benzodiazepine = '1' AS benzodiazepine,
    cns_active = '1' AS cns_active,
    high_risk_elderly = '1' AS high_risk_elderly
  FROM seed_drug_reference
), other_key AS (
  SELECT
    drug_key
  FROM ref_ndc_identity
  UNION
  SELECT
    drug_key
  FROM seed_weight_management_products
  UNION
  SELECT
    drug_key
  FROM ref_generic_name
  EXCEPT
  SELECT
    drug_key
  FROM curated
), key_ingredient AS (
  SELECT
    drug_key,
    EXPLODE(SPLIT(drug_key, CONCAT('\\Q', ' / ', '\\E'))) AS ingredient
  FROM other_key
  WHERE
    NOT drug_key IS NULL
), ingredient_row AS (
  SELECT
    k.drug_key,
    /* string_agg(DISTINCT ... ORDER BY ...) FILTER: Spark 4.3's LISTAGG(DISTINCT) WITHIN GROUP fails to plan */
    NULLIF(ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(CASE WHEN COALESCE(c.atc_codes, '') <> '' THEN c.atc_codes END)), ';'), '') AS atc_codes,
    MIN_BY(
      c.drug_class,
      (
        NOT (
          c.pqa_statin OR c.pqa_ras OR c.pqa_diabetes_noninsulin OR c.pqa_insulin
        ),
        NOT (
          c.opioid OR c.benzodiazepine OR c.cns_active OR c.high_risk_elderly
        ),
        c.drug_key
      )
    ) AS drug_class,
    BOOL_OR(c.maintenance) AS maintenance,
    BOOL_OR(c.pqa_statin) AS pqa_statin,
    BOOL_OR(c.pqa_ras) AS pqa_ras,
    BOOL_OR(c.pqa_diabetes_noninsulin) AS pqa_diabetes_noninsulin,
    BOOL_OR(c.pqa_insulin) AS pqa_insulin,
    BOOL_OR(c.pqa_sacubitril_valsartan) AS pqa_sacubitril_valsartan,
    BOOL_OR(c.opioid) AS opioid,
    BOOL_OR(c.benzodiazepine) AS benzodiazepine,
    BOOL_OR(c.cns_active) AS cns_active,
    BOOL_OR(c.high_risk_elderly) AS high_risk_elderly
  FROM key_ingredient AS k
  JOIN curated AS c
    ON c.drug_key = k.ingredient
  GROUP BY
    k.drug_key
), listed_only AS (
  SELECT DISTINCT
    k.drug_key
  FROM key_ingredient AS k
  WHERE
    NOT k.drug_key IN (
      SELECT
        drug_key
      FROM ingredient_row
    )
    AND (
      k.ingredient IN (
        SELECT
          ingredient
        FROM seed_beers_2023_strong_anticholinergics
      )
      OR k.ingredient IN (
        SELECT
          ingredient
        FROM seed_opioid_analgesic_ingredients
      )
    )
), drug AS (
  SELECT
    drug_key,
    atc_codes,
    drug_class,
    maintenance,
    pqa_statin,
    pqa_ras,
    pqa_diabetes_noninsulin,
    pqa_insulin,
    pqa_sacubitril_valsartan,
    opioid,
    benzodiazepine,
    cns_active,
    high_risk_elderly,
    'curated' AS flag_source
  FROM curated
  UNION ALL
  SELECT
    drug_key,
    atc_codes,
    drug_class,
    maintenance,
    pqa_statin,
    pqa_ras,
    pqa_diabetes_noninsulin,
    pqa_insulin,
    pqa_sacubitril_valsartan,
    opioid,
    benzodiazepine,
    cns_active,
    high_risk_elderly,
    'ingredients' AS flag_source
  FROM ingredient_row
  UNION ALL
  SELECT
    drug_key,
    NULL AS atc_codes,
    NULL AS drug_class,
    FALSE AS maintenance,
    FALSE AS pqa_statin,
    FALSE AS pqa_ras,
    FALSE AS pqa_diabetes_noninsulin,
    FALSE AS pqa_insulin,
    FALSE AS pqa_sacubitril_valsartan,
    FALSE AS opioid,
    FALSE AS benzodiazepine,
    FALSE AS cns_active,
    FALSE AS high_risk_elderly,
    'ingredients' AS flag_source
  FROM listed_only
), listed AS (
  SELECT
    d.drug_key,
    BOOL_OR(i IN (
      SELECT
        ingredient
      FROM seed_beers_2023_strong_anticholinergics
    )) AS anticholinergic,
    BOOL_OR(i IN (
      SELECT
        ingredient
      FROM seed_opioid_analgesic_ingredients
    )) AS opioid_analgesic
  FROM (
    SELECT
      drug_key,
      EXPLODE(SPLIT(drug_key, CONCAT('\\Q', ' / ', '\\E'))) AS i
    FROM drug
  ) AS d
  GROUP BY
    d.drug_key
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
  d.opioid OR l.opioid_analgesic AS opioid,
  d.benzodiazepine,
  l.anticholinergic,
  d.cns_active OR l.opioid_analgesic AS cns_active,
  d.high_risk_elderly,
  l.opioid_analgesic,
  FILTER(SPLIT(COALESCE(d.atc_codes, ''), CONCAT('\\Q', ';', '\\E')), x -> x <> '') AS atc_code_list,
  d.flag_source
FROM drug AS d
JOIN listed AS l
  ON l.drug_key = d.drug_key
