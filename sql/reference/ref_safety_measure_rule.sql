-- The thresholds of the PQA safety measures COB, Poly-ACH and Poly-CNS (targeting-rules.md section 9;
-- pipelines/reference/data/safety_measure_rules.csv, PROVENANCE.md): per measure how many distinct kinds
-- must cover a day at once and on how many such days (year to date) a member is in the numerator.
SELECT measure_id, CAST(min_kinds AS INTEGER) AS min_kinds, CAST(min_overlap_days AS INTEGER) AS min_overlap_days,
       source
FROM seed_safety_measure_rules
