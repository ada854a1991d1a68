-- Which ATC codes are evidence of which core condition (reference/drug_condition_rules.csv):
-- a code is evidence when it starts with an 'include' prefix of the condition and with no 'exclude'
-- prefix of that same condition. ESRD has no drug evidence, whatever the rules file says.
WITH codes AS (
    SELECT DISTINCT unnest(atc_code_list) AS atc_code FROM ref_drug
    UNION
    SELECT DISTINCT atc_code FROM ref_ndc WHERE nullif(atc_code, '') IS NOT NULL
)
SELECT DISTINCT c.atc_code, inc.core_condition
FROM codes AS c
JOIN ref_drug_condition_rule AS inc
  ON inc.effect = 'include' AND starts_with(c.atc_code, inc.atc_prefix)
WHERE inc.core_condition <> 'esrd'
  AND NOT EXISTS (
      SELECT 1 FROM ref_drug_condition_rule AS exc
      WHERE exc.effect = 'exclude'
        AND exc.core_condition = inc.core_condition
        AND starts_with(c.atc_code, exc.atc_prefix)
  )
