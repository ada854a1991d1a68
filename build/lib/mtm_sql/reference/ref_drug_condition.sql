-- The drug-evidence rule of targeting-rules.md section 4, applied code by code: a drug is evidence of a
-- condition when one of its ATC codes starts with an include prefix of that condition and *that same
-- code* starts with no exclude prefix of the condition (so sacubitril/valsartan C09DX04 is heart
-- failure only, not hypertension).
SELECT DISTINCT a.drug_key, a.atc_code, inc.core_condition
FROM ref_drug_atc AS a
JOIN ref_drug_condition_rule AS inc
  ON inc.effect = 'include' AND starts_with(a.atc_code, inc.atc_prefix)
WHERE NOT EXISTS (
    SELECT 1 FROM ref_drug_condition_rule AS exc
    WHERE exc.effect = 'exclude' AND exc.core_condition = inc.core_condition
      AND starts_with(a.atc_code, exc.atc_prefix)
)
