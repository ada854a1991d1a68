-- The days on which the drugs of the safety measures (targeting-rules.md section 9) are covered together,
-- year to date, one row per member x contract x measure with at least one such day (the fills dated in
-- the contract's span, cut at its period end: a member who changed contracts is measured in each; issue 25
-- item 12):
--   cob       an opioid and a benzodiazepine both covered (any drugs of the two kinds)
--   poly_ach  >= 2 distinct anticholinergic drugs covered together
--   poly_cns  >= 3 distinct CNS-active drugs covered together
--   (Poly-*: a drug counts only with >= 2 fills on different dates; a drug filled once never counts)
-- Counted systemic fills (core_year_fill.systemic: the risk signals' definition, by the product's ATC) dated
-- 1 January .. the member's period end; a fill covers fill_date .. fill_date + days_supply - 1, cut at the
-- period end. The days need not be consecutive; several fills of one drug on one day count once.
-- Computed with a sweep, as the risk signals are: the covered days of each kind (COB: opioid or
-- benzodiazepine; Poly-*: each drug) are merged into islands, each island adds one kind on its first day
-- and removes it the day after its last, so the running sum over the boundaries is the number of distinct
-- kinds covering each segment between two boundaries; overlap_days adds up the segments with enough kinds.
-- (Counting one row per member x drug x covered day gives the same numbers at ~50x the rows.)
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
rules AS (  -- how many kinds at once: ref_safety_measure_rule (safety_measure_rules.csv)
    SELECT measure_id, min_kinds FROM ref_safety_measure_rule
),
fill AS (
    SELECT f.member_id, f.contract_id, f.drug_key, f.fill_date, f.pqa_opioid AS opioid, f.benzodiazepine,
           f.anticholinergic, f.poly_cns_active AS cns_active,
           f.fill_date AS s, least(f.last_covered_day, y.period_end) AS e
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    CROSS JOIN p
    WHERE f.systemic
      AND (f.pqa_opioid OR f.benzodiazepine OR f.anticholinergic OR f.poly_cns_active)
      AND f.fill_date BETWEEN p.cy_start AND y.period_end
),
repeated_drug AS (  -- Poly-*: drugs with >= 2 fills on different dates
    SELECT member_id, contract_id, drug_key
    FROM fill
    WHERE anticholinergic OR cns_active
    GROUP BY member_id, contract_id, drug_key
    HAVING count(DISTINCT fill_date) >= 2
),
kind_interval AS (
    SELECT member_id, contract_id, 'cob' AS measure_id, CASE WHEN opioid THEN 'opioid' ELSE 'benzodiazepine' END AS kind, s, e
    FROM fill
    WHERE opioid OR benzodiazepine
    UNION ALL
    SELECT f.member_id, f.contract_id, 'poly_ach', f.drug_key, f.s, f.e
    FROM fill AS f
    JOIN repeated_drug AS r ON r.member_id = f.member_id AND r.contract_id = f.contract_id AND r.drug_key = f.drug_key
    WHERE f.anticholinergic
    UNION ALL
    SELECT f.member_id, f.contract_id, 'poly_cns', f.drug_key, f.s, f.e
    FROM fill AS f
    JOIN repeated_drug AS r ON r.member_id = f.member_id AND r.contract_id = f.contract_id AND r.drug_key = f.drug_key
    WHERE f.cns_active
),
kind_span AS (
    SELECT {'member_id': member_id, 'contract_id': contract_id, 'measure_id': measure_id, 'kind': kind} AS k, s, e
    FROM kind_interval
),
kind_island AS (  -- the covered days of one kind merged into islands (fills of a kind overlap or touch)
    SELECT {'member_id': k.member_id, 'contract_id': k.contract_id, 'measure_id': k.measure_id} AS k,
           island_start AS s, island_end AS e
    FROM interval_islands('kind_span')
)
SELECT s.k.member_id, s.k.contract_id, s.k.measure_id,
       sum(date_diff('day', s.seg_start, s.seg_end) + 1)::INTEGER AS overlap_days
FROM interval_sweep('kind_island') AS s
JOIN rules AS r ON r.measure_id = s.k.measure_id
WHERE s.kinds >= r.min_kinds
GROUP BY ALL
