-- The fills that are evidence of a core chronic disease (targeting-rules.md section 4): counted, systemic
-- fills (a locally used product is never evidence) dated in the last rx_condition_lookback_days of a drug
-- one of whose ATC codes is evidence of the condition. core_condition_rx applies the two-dates rule; the
-- portal's member page lists these rows.
WITH p AS (SELECT * FROM run_parameters)
SELECT DISTINCT f.member_id, a.core_condition, f.claim_id, f.fill_date, f.ndc, f.drug_key
FROM (SELECT *, unnest(atc_codes) AS atc_code FROM core_fill) AS f
CROSS JOIN p
JOIN core_atc_condition AS a ON a.atc_code = f.atc_code
WHERE f.fill_status = 'counted'
  AND NOT f.local_use
  AND f.fill_date BETWEEN p.as_of_date - (p.rx_condition_lookback_days - 1) AND p.as_of_date
