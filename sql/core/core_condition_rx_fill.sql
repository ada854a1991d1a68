-- The fills that are evidence of a core chronic disease (targeting-rules.md section 4): counted, systemic
-- fills (a locally used product is never evidence) dated in the last rx_condition_lookback_days of a drug
-- one of whose ATC codes is evidence of the condition. core_condition_rx applies the two-dates rule; the
-- portal's member page lists these rows.
-- Which conditions a fill is evidence of depends only on its product's ATC codes: decided once per distinct
-- code list, then joined to the fills by equality (issue 27), instead of unnesting every fill's codes and
-- de-duplicating the result. One row per fill x condition (a fill is one claim id).
WITH p AS (SELECT * FROM run_parameters),
fill AS (
    SELECT f.member_id, f.claim_id, f.fill_date, f.ndc, f.drug_key, f.atc_codes
    FROM core_fill AS f
    CROSS JOIN p
    WHERE f.fill_status = 'counted'
      AND NOT f.local_use
      AND f.fill_date BETWEEN p.as_of_date - (p.rx_condition_lookback_days - 1) AND p.as_of_date
),
code_list_condition AS (  -- each distinct code list x a condition one of its codes is evidence of
    SELECT DISTINCT l.atc_codes, a.core_condition
    FROM (SELECT atc_codes, unnest(atc_codes) AS atc_code FROM (SELECT DISTINCT atc_codes FROM fill)) AS l
    JOIN core_atc_condition AS a ON a.atc_code = l.atc_code
)
SELECT f.member_id, c.core_condition, f.claim_id, f.fill_date, f.ndc, f.drug_key
FROM fill AS f
JOIN code_list_condition AS c ON c.atc_codes = f.atc_codes
