-- All condition evidence, long: member x core condition x source, limited to the core diseases of
-- the disease set in force and to the evidence sources the plan chose (condition_sources).
WITH p AS (SELECT * FROM run_parameters)
SELECT e.*
FROM (
    SELECT * FROM core_condition_dx
    UNION ALL
    SELECT * FROM core_condition_rx
    UNION ALL
    SELECT * FROM core_condition_eligibility
) AS e
CROSS JOIN p
JOIN core_disease_set AS s ON s.core_condition = e.core_condition
WHERE (e.source = 'dx' AND p.use_dx_evidence)
   OR (e.source = 'rx' AND p.use_rx_evidence)
   OR e.source = 'eligibility'
