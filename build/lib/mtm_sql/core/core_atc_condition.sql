-- Which ATC codes are evidence of which core condition. The rule itself (an 'include' prefix of the
-- condition and no 'exclude' prefix of that same condition, reference/drug_condition_rules.csv) is
-- applied once, in sql/reference/ref_drug_condition.sql.
-- ESRD has no drug evidence, whatever the rules file says.
SELECT DISTINCT atc_code, core_condition
FROM ref_drug_condition
WHERE core_condition <> 'esrd'
