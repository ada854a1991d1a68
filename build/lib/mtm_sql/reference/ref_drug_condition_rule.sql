-- Which ATC codes are evidence of which core chronic disease (targeting-rules.md section 4,
-- reference/drug_condition_rules.csv): include and exclude prefixes per condition.
SELECT core_condition, effect, atc_prefix
FROM seed_drug_condition_rules
