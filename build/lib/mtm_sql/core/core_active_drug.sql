-- Drugs active at D: one of the drug's counted fills covers a day of the last drug_lookback_days
-- (a fill covers fill_date .. fill_date + days_supply - 1). This is also the draft Personal
-- Medication List: last fill, its days supply and prescriber.
WITH p AS (SELECT * FROM run_parameters)
SELECT
    f.member_id,
    f.drug_key,
    max(f.fill_date)                                     AS last_fill_date,
    arg_max(f.days_supply, (f.fill_date, f.claim_id))    AS last_days_supply,
    arg_max(f.prescriber_npi, (f.fill_date, f.claim_id)) AS last_prescriber_npi,
    count(*)                                             AS fills_in_window,
    any_value(d.drug_class)                              AS drug_class,
    coalesce(any_value(d.maintenance), false)            AS maintenance
FROM core_fill AS f
CROSS JOIN p
LEFT JOIN ref_drug AS d ON d.drug_key = f.drug_key
WHERE f.fill_status = 'counted'
  AND f.last_covered_day >= p.as_of_date - (p.drug_lookback_days - 1)
GROUP BY f.member_id, f.drug_key
