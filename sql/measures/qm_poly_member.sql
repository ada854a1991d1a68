-- Poly-ACH and Poly-CNS (targeting-rules.md section 9), inverse measures (lower is better), one row per
-- member x contract x measure in the population before exclusions, year to date (a member who changed
-- contracts is measured in each with the fills dated in its span: issue 25 item 12):
--   population  age >= 65 on 1 January; >= 2 fills of one drug of the kind on different dates
--   numerator   >= 30 days on which at least min_drugs distinct drugs of the kind are covered together,
--               each of them a drug with >= 2 fills on different dates (a drug filled once never counts)
--                 Poly-ACH: anticholinergic drugs, min_drugs 2;  Poly-CNS: CNS-active drugs, min_drugs 3
--   exclusions  hospice at any time in the year; Poly-CNS: seizure disorder diagnosed in the year
-- Anticholinergic drugs: an ingredient on the AGS Beers 2023 Table 7 list (ref_drug.anticholinergic);
-- CNS-active drugs: core_year_fill.poly_cns_active (its opioids are the measures' opioids; lithium is no
-- antipsychotic). Only systemic products count (core_year_fill.systemic, as for the risk signals).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
rules AS (  -- min_drugs and the days together: ref_safety_measure_rule (safety_measure_rules.csv)
    SELECT measure_id, min_kinds AS min_drugs, min_overlap_days FROM ref_safety_measure_rule
    WHERE measure_id IN ('poly_ach', 'poly_cns')
),
drug_fills AS (
    SELECT f.member_id, f.contract_id, r.measure_id, f.drug_key, count(DISTINCT f.fill_date) AS fill_dates
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    JOIN rules AS r ON (r.measure_id = 'poly_ach' AND f.anticholinergic) OR (r.measure_id = 'poly_cns' AND f.poly_cns_active)
    CROSS JOIN p
    WHERE f.systemic AND f.fill_date BETWEEN p.cy_start AND y.period_end
    GROUP BY f.member_id, f.contract_id, r.measure_id, f.drug_key
    HAVING count(DISTINCT f.fill_date) >= 2
),
concurrent AS (  -- qm_safety_overlap counts the days with the drugs of drug_fills only
    SELECT member_id, contract_id, measure_id, overlap_days FROM qm_safety_overlap WHERE measure_id IN ('poly_ach', 'poly_cns')
),
measured AS (
    SELECT k.member_id, k.contract_id, k.measure_id, coalesce(c.overlap_days, 0) AS overlap_days, r.min_overlap_days,
           CASE WHEN y.hospice THEN 'hospice' ELSE x.exclusion_reason END AS exclusion_reason
    FROM (SELECT DISTINCT member_id, contract_id, measure_id FROM drug_fills) AS k
    JOIN qm_member_year AS y ON y.member_id = k.member_id AND y.contract_id = k.contract_id
    JOIN qm_measure_definition AS q ON q.measure_id = k.measure_id
    JOIN rules AS r ON r.measure_id = k.measure_id
    LEFT JOIN concurrent AS c ON c.member_id = k.member_id AND c.contract_id = k.contract_id
                             AND c.measure_id = k.measure_id
    LEFT JOIN qm_member_exclusion_dx AS x ON x.member_id = k.member_id AND x.measure_id = k.measure_id
    WHERE y.age >= q.min_age
)
SELECT member_id, contract_id, measure_id,
       exclusion_reason IS NULL                             AS in_denominator,
       exclusion_reason IS NULL AND overlap_days >= min_overlap_days AS in_numerator,
       exclusion_reason,
       overlap_days::INTEGER                                AS overlap_days
FROM measured
