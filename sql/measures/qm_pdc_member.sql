-- PDC adherence measures PDC-STA, PDC-RASA, PDC-DR, measurement year to date (targeting-rules.md
-- section 9), one row per member x contract x measure for members in the measure's population before
-- exclusions (a member who changed contracts is measured in each, with the fills dated in its span:
-- qm_member_year, core_year_fill.contract_id; issue 25 item 12).
--   * classes at ingredient level from the drug reference: statins; RAS antagonists; non-insulin
--     diabetes drugs, where a weight-management GLP-1 product (core_fill.weight_management) is not one;
--   * counted fills dated 1 January .. the member's period end (D, death or disenrollment:
--     qm_member_year); age >= 18 on 1 January; >= 2 fills on different dates; the first fill >= 91
--     days before the period end;
--   * days are "measure days": the days of qm_excluded_interval (inpatient/SNF stays, gaps in Part D
--     coverage) do not exist, so they leave the period, and a fill dated in a stay starts after it and
--     the supply on hand is carried over the stay. measure_day(d) = days since 1 January before d,
--     minus the removed days before d;
--   * overlapping fills of the same drug shift: a later fill starts the day after the earlier supply
--     ends (end_k = max over j <= k of (start_j - supply before j) + supply through k, in measure days);
--     different drugs do not shift, a day counts once when any of them covers it;
--   * supply past the period end is cut; adherent (numerator) when PDC >= 80% (integers: 5 x covered
--     >= 4 x days, so 80.0% exactly is adherent);
--   * exclusions: hospice or ESRD at any time in the year; PDC-RASA sacubitril/valsartan users; PDC-DR
--     insulin users (a fill in the year).
-- Gaps that can still close (recoverable): in the denominator, below 80%, period still open, and
-- adherent at 31 December if every remaining day is covered: 5 x (covered + R) >= 4 x (days + R), with R
-- the calendar days after D to 31 December. days_may_still_miss = the whole days of R the member may
-- still go without supply and end at 80%: (5 x (covered + R) - 4 x (days + R)) // 5.
-- days_covered_if_no_refill: covered days at 31 December from the supply already dispensed.
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start, make_date(contract_year, 12, 31) AS cy_end
           FROM run_parameters),
class_fill AS (
    SELECT f.member_id, f.contract_id, m.measure_id, f.drug_key, f.claim_id, f.fill_date, f.days_supply
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    JOIN (VALUES ('pdc_sta'), ('pdc_rasa'), ('pdc_dr')) AS m(measure_id)
      ON (m.measure_id = 'pdc_sta' AND f.pqa_statin)
      OR (m.measure_id = 'pdc_rasa' AND f.pqa_ras)
      OR (m.measure_id = 'pdc_dr' AND f.pqa_diabetes_noninsulin AND NOT f.weight_management)
    CROSS JOIN p
    WHERE f.fill_date BETWEEN p.cy_start AND y.period_end
),
removed_before AS (  -- the excluded days before each fill date, for the member x contracts that have some
    SELECT d.member_id, d.contract_id, d.fill_date,
           sum(date_diff('day', x.ex_start, least(x.ex_end, d.fill_date - 1)) + 1) AS days
    FROM (SELECT DISTINCT member_id, contract_id, fill_date FROM class_fill) AS d
    JOIN qm_excluded_interval AS x
      ON x.member_id = d.member_id AND x.contract_id = d.contract_id AND x.ex_start < d.fill_date
    GROUP BY d.member_id, d.contract_id, d.fill_date
),
fill_day AS (
    SELECT f.member_id, f.contract_id, f.measure_id, f.drug_key, f.claim_id, f.fill_date, f.days_supply,
           date_diff('day', p.cy_start, f.fill_date) - coalesce(r.days, 0) AS start_day
    FROM class_fill AS f
    CROSS JOIN p
    LEFT JOIN removed_before AS r
      ON r.member_id = f.member_id AND r.contract_id = f.contract_id AND r.fill_date = f.fill_date
),
member_period AS (
    SELECT y.member_id, y.contract_id, y.age, y.period_end, y.period_open, y.hospice, y.esrd,
           date_diff('day', p.cy_start, y.period_end) + 1 - coalesce(sum(x.days), 0) AS end_day,
           CASE WHEN y.period_open THEN date_diff('day', y.period_end, p.cy_end) ELSE 0 END AS days_remaining
    FROM qm_member_year AS y
    CROSS JOIN p
    LEFT JOIN qm_excluded_interval AS x ON x.member_id = y.member_id AND x.contract_id = y.contract_id
    WHERE (y.member_id, y.contract_id) IN (SELECT (member_id, contract_id) FROM class_fill)
    GROUP BY y.member_id, y.contract_id, y.age, y.period_end, y.period_open, y.hospice, y.esrd, p.cy_start, p.cy_end
),
shift_fill AS (
    SELECT {'member_id': member_id, 'contract_id': contract_id, 'measure_id': measure_id, 'drug_key': drug_key} AS k, *
    FROM fill_day
),
class_member AS (
    SELECT member_id, contract_id, measure_id,
           min(fill_date)                                   AS first_fill_date,
           min(start_day)                                   AS start_day,
           count(DISTINCT fill_date)                        AS fill_dates,
           string_agg(DISTINCT drug_key, ' + ' ORDER BY drug_key) AS drugs,
           bool_or(drug_key IS NULL) OR min(drug_key) <> max(drug_key) AS several_drugs
    FROM fill_day
    GROUP BY member_id, contract_id, measure_id
),
supply AS (  -- the shift of section 9 in measure days (shifted_supply), cut at 31 December; inclusive days
    SELECT s.member_id, s.contract_id, s.measure_id, c.several_drugs, e.end_day,
           s.cover_start AS s, least(s.cover_end, e.end_day + e.days_remaining) - 1 AS e
    FROM shifted_supply('shift_fill') AS s
    JOIN member_period AS e ON e.member_id = s.member_id AND e.contract_id = s.contract_id
    JOIN class_member AS c
      ON c.member_id = s.member_id AND c.contract_id = s.contract_id AND c.measure_id = s.measure_id
),
several_drug_supply AS (
    SELECT {'member_id': member_id, 'contract_id': contract_id, 'measure_id': measure_id} AS k, s, e
    FROM supply
    WHERE several_drugs
),
covered AS (  -- half-open [s, e + 1). One drug's shifted supplies never overlap (a fill starts after the
              -- earlier supply ends, days_supply >= 1): their days add up; several drugs' are merged into islands
    SELECT member_id, contract_id, measure_id,
           sum(greatest(0, least(e + 1, end_day) - s)) AS days_covered,
           sum(e + 1 - s)                              AS days_covered_if_no_refill
    FROM supply
    WHERE NOT several_drugs AND s <= e
    GROUP BY ALL
    UNION ALL
    SELECT i.k.member_id, i.k.contract_id, i.k.measure_id,
           sum(greatest(0, least(i.island_end + 1, e.end_day) - i.island_start)) AS days_covered,
           sum(i.island_end + 1 - i.island_start)                              AS days_covered_if_no_refill
    FROM interval_islands('several_drug_supply') AS i
    JOIN member_period AS e ON e.member_id = i.k.member_id AND e.contract_id = i.k.contract_id
    GROUP BY ALL
),
drug_exclusion AS (  -- from the excluding fills only (a member x contract without one is not excluded)
    SELECT f.member_id, f.contract_id,
           bool_or(f.pqa_sacubitril_valsartan) AS sacubitril_valsartan_user,
           bool_or(f.pqa_insulin)              AS insulin_user
    FROM core_year_fill AS f
    JOIN qm_member_year AS y ON y.member_id = f.member_id AND y.contract_id = f.contract_id
    CROSS JOIN p
    WHERE f.fill_date BETWEEN p.cy_start AND y.period_end
      AND (f.pqa_sacubitril_valsartan OR f.pqa_insulin)
    GROUP BY f.member_id, f.contract_id
),
measured AS (
    SELECT
        k.member_id, k.contract_id, k.measure_id, k.drugs, k.fill_dates, k.first_fill_date, e.period_end,
        e.period_open,
        (e.end_day - k.start_day)::INTEGER                                AS days_in_period,
        coalesce(v.days_covered, 0)::INTEGER                              AS days_covered,
        coalesce(v.days_covered_if_no_refill, 0)::INTEGER                 AS days_covered_if_no_refill,
        e.days_remaining::INTEGER                                         AS days_remaining,
        CASE
            WHEN e.hospice THEN 'hospice'
            WHEN e.esrd THEN 'esrd'
            WHEN k.measure_id = 'pdc_rasa' AND coalesce(x.sacubitril_valsartan_user, false) THEN 'sacubitril_valsartan'
            WHEN k.measure_id = 'pdc_dr' AND coalesce(x.insulin_user, false) THEN 'insulin'
        END                                                               AS exclusion_reason,
        k.fill_dates >= 2 AND date_diff('day', k.first_fill_date, e.period_end) >= 91
            AND e.age >= q.min_age                                        AS in_population
    FROM class_member AS k
    JOIN member_period AS e ON e.member_id = k.member_id AND e.contract_id = k.contract_id
    JOIN qm_measure_definition AS q ON q.measure_id = k.measure_id
    LEFT JOIN covered AS v ON v.member_id = k.member_id AND v.contract_id = k.contract_id AND v.measure_id = k.measure_id
    LEFT JOIN drug_exclusion AS x ON x.member_id = k.member_id AND x.contract_id = k.contract_id
),
scored AS (
    SELECT *,
        exclusion_reason IS NULL                                          AS in_denominator,
        exclusion_reason IS NULL AND days_covered * 5 >= days_in_period * 4 AS in_numerator,
        round(days_covered / days_in_period, 4)                           AS pdc,
        5 * (days_covered + days_remaining) - 4 * (days_in_period + days_remaining) AS year_end_margin_x5
    FROM measured
    WHERE in_population AND days_in_period > 0
)
SELECT
    member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason, pdc, days_covered,
    days_in_period, drugs, fill_dates, first_fill_date, period_end, days_remaining, days_covered_if_no_refill,
    in_denominator AND NOT in_numerator AND period_open AND year_end_margin_x5 >= 0 AS recoverable,
    CASE WHEN in_denominator AND NOT in_numerator AND period_open AND year_end_margin_x5 >= 0
         THEN (year_end_margin_x5 // 5)::INTEGER END                       AS days_may_still_miss,
    in_numerator OR (in_denominator AND 5 * days_covered_if_no_refill >= 4 * (days_in_period + days_remaining))
                                                                          AS adherent_at_year_end_if_no_refill
FROM scored
