-- The days covered by opioid, benzodiazepine, anticholinergic and CNS-active drugs in the measurement
-- year, one row per member x drug x day (the overlap counts of COB, Poly-ACH and Poly-CNS read it).
-- Counted systemic fills (a locally used product is not systemic exposure, as for the risk signals)
-- dated 1 January .. the member's period end; a fill covers fill_date .. fill_date + days_supply - 1,
-- cut at the period end. Several fills of one drug on one day count once.
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters)
SELECT DISTINCT f.member_id, f.drug_key, f.opioid, f.benzodiazepine, f.anticholinergic, f.cns_active,
       CAST(unnest(generate_series(f.fill_date, least(f.last_covered_day, y.period_end), INTERVAL 1 DAY)) AS DATE)
           AS covered_day
FROM core_year_fill AS f
JOIN qm_member_year AS y ON y.member_id = f.member_id
CROSS JOIN p
WHERE NOT f.local_use
  AND (f.opioid OR f.benzodiazepine OR f.anticholinergic OR f.cns_active)
  AND f.fill_date BETWEEN p.cy_start AND y.period_end
