-- The CMS MTM parameters per contract year (reference/cms_mtm_parameters.csv): core diseases, the most
-- conditions and drugs a plan may require, the cost threshold.
SELECT
    CAST(contract_year AS INTEGER)            AS contract_year,
    CAST(core_diseases AS INTEGER)            AS core_diseases,
    CAST(max_required_conditions AS INTEGER)  AS max_required_conditions,
    CAST(max_required_drugs AS INTEGER)       AS max_required_drugs,
    CAST(cost_threshold AS DECIMAL(12, 2))    AS cost_threshold,
    drug_scope_rule,
    confidence,
    source
FROM seed_cms_mtm_parameters
