-- The core chronic diseases in force for this run: those of the year whose set applies (the contract
-- year's own, or the settings' core_disease_set for historical data).
SELECT d.core_condition, d.display_order
FROM ref_core_disease AS d
CROSS JOIN run_parameters AS p
WHERE d.first_contract_year IS NULL OR d.first_contract_year <= p.core_disease_set
