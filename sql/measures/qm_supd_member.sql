-- SUPD, statin use in persons with diabetes (targeting-rules.md section 9), one row per member x contract
-- in the measure's population before exclusions, measurement year to date (a member who changed contracts
-- is measured in each with the fills dated in its span: issue 25 item 12):
--   population  age 40..75 on 31 December of the measurement year; >= 2 fills of diabetes drugs (every
--               A10B drug -- acarbose and miglitol included -- or an insulin: core_year_fill.supd_diabetes;
--               a weight-management GLP-1 product is not one) on different dates, 1 January .. period end
--   numerator   >= 1 fill of a statin in the same days; from MY2026 a PCSK9 inhibitor or bempedoic acid
--               counts like a statin
--   exclusions  hospice or ESRD status at any time in the year; diagnoses in the year of
--               rhabdomyolysis/myopathy, pregnancy/lactation (fertility included), cirrhosis, pre-diabetes, PCOS or
--               ESRD
-- (section 9 readings of 2026-12-07: SUPD's age is taken on 31 December, qm_measure_definition.age_on)
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
year_fill AS (
    SELECT f.*
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    CROSS JOIN p
    WHERE f.fill_date BETWEEN p.cy_start AND y.period_end
),
member_fills AS (
    SELECT f.member_id, f.contract_id,
           count(DISTINCT f.fill_date) FILTER (WHERE f.supd_diabetes AND NOT f.weight_management) AS diabetes_fill_dates,
           count(*) FILTER (WHERE f.pqa_statin
                               OR (p.contract_year >= 2026 AND (f.drug_class = 'pcsk9_inhibitor'
                                                              OR f.drug_key LIKE '%bempedoic acid%'))) AS statin_fills
    FROM year_fill AS f
    CROSS JOIN p
    GROUP BY f.member_id, f.contract_id
),
measured AS (
    SELECT y.member_id, y.contract_id, f.statin_fills,
           CASE WHEN y.hospice THEN 'hospice' WHEN y.esrd THEN 'esrd' ELSE x.exclusion_reason END AS exclusion_reason
    FROM member_fills AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    JOIN qm_measure_definition AS q ON q.measure_id = 'supd'
    LEFT JOIN qm_member_exclusion_dx AS x ON x.member_id = f.member_id AND x.measure_id = 'supd'
    CROSS JOIN p
    WHERE f.diabetes_fill_dates >= 2
      AND age_on(y.birth_date, CASE q.age_on WHEN 'december_31' THEN make_date(p.contract_year, 12, 31)
                                             ELSE p.cy_start END) BETWEEN q.min_age AND q.max_age
)
SELECT member_id, contract_id, 'supd' AS measure_id,
       exclusion_reason IS NULL                          AS in_denominator,
       exclusion_reason IS NULL AND statin_fills >= 1    AS in_numerator,
       exclusion_reason
FROM measured
