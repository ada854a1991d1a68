-- COB, concurrent use of opioids and benzodiazepines (targeting-rules.md section 9), an inverse measure
-- (lower is better), one row per member x contract in the population before exclusions, year to date (a
-- member who changed contracts is measured in each with the fills dated in its span: issue 25 item 12):
--   population  age >= 18 on 1 January; >= 2 opioid fills on different dates and >= 15 days' opioid
--               supply (sum of days supply), fills dated 1 January .. period end
--   numerator   >= 2 benzodiazepine fills on different dates and >= 30 days on which an opioid and a
--               benzodiazepine are both covered (qm_safety_overlap; the days need not be consecutive)
--   exclusions  hospice at any time in the year; cancer, sickle-cell disease or palliative care (Z51.5)
--               diagnosed in the year
-- Opioids are the measures' opioids (core_year_fill.pqa_opioid: every opioid analgesic ingredient, N02A and
-- hydrocodone; not buprenorphine for opioid use disorder, N07BC; not injectables), and only systemic
-- products count (core_year_fill.systemic, the risk signals' definition: nasal butorphanol counts).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
fills AS (
    SELECT f.member_id, f.contract_id,
           count(DISTINCT f.fill_date) FILTER (WHERE f.pqa_opioid)     AS opioid_fill_dates,
           sum(f.days_supply) FILTER (WHERE f.pqa_opioid)              AS opioid_days_supply,
           count(DISTINCT f.fill_date) FILTER (WHERE f.benzodiazepine) AS benzodiazepine_fill_dates
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    CROSS JOIN p
    WHERE f.systemic AND (f.pqa_opioid OR f.benzodiazepine)
      AND f.fill_date BETWEEN p.cy_start AND y.period_end
    GROUP BY f.member_id, f.contract_id
),
overlap AS (
    SELECT member_id, contract_id, overlap_days FROM qm_safety_overlap WHERE measure_id = 'cob'
),
measured AS (
    SELECT f.member_id, y.contract_id, f.benzodiazepine_fill_dates, coalesce(o.overlap_days, 0) AS overlap_days,
           r.min_overlap_days,
           CASE WHEN y.hospice THEN 'hospice' ELSE x.exclusion_reason END AS exclusion_reason
    FROM fills AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    JOIN qm_measure_definition AS q ON q.measure_id = 'cob'
    JOIN ref_safety_measure_rule AS r ON r.measure_id = 'cob'   -- >= 30 days together (safety_measure_rules.csv)
    LEFT JOIN overlap AS o ON o.member_id = f.member_id AND o.contract_id = f.contract_id
    LEFT JOIN qm_member_exclusion_dx AS x ON x.member_id = f.member_id AND x.measure_id = 'cob'
    WHERE f.opioid_fill_dates >= 2 AND f.opioid_days_supply >= 15 AND y.age >= q.min_age
)
SELECT member_id, contract_id, 'cob' AS measure_id,
       exclusion_reason IS NULL                                                          AS in_denominator,
       exclusion_reason IS NULL AND benzodiazepine_fill_dates >= 2 AND overlap_days >= min_overlap_days AS in_numerator,
       exclusion_reason,
       overlap_days::INTEGER                                                             AS overlap_days
FROM measured
