-- The severities of the drug interaction table in order, and the factor each applies to the [priority]
-- drug_interaction weight (targeting-rules.md section 8; pipelines/reference/data/
-- drug_interaction_severities.csv, PROVENANCE.md): contraindicated 1.0, major 0.75, moderate 0.5.
SELECT severity, CAST(severity_rank AS INTEGER) AS severity_rank,
       CAST(severity_factor AS DECIMAL(3, 2)) AS severity_factor, source
FROM seed_drug_interaction_severities
