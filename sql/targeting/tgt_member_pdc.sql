-- Proportion of days covered (PDC) per member x PQA adherence class, year to date
-- (targeting-rules.md section 9; used by the adherence-gap risk signal of section 8):
--   * classes: statin, ras (RAS antagonists), diabetes (non-insulin diabetes drugs), from ref_drug;
--   * counted fills dated from Jan 1 of CY to the end of the period; the period ends at D, or earlier
--     at death or at the last day of Part D coverage (disenrollment);
--   * treatment period = first fill in the class .. end of the period;
--   * overlapping fills of the same drug shift: a later fill starts the day after the earlier supply
--     ends (end_k = S_k - 1 + max over j <= k of (fill_date_j - S_(j-1)), S = running days supply);
--     different drugs of the class do not shift, a day counts once when any of them covers it;
--   * supply past the end of the period is cut;
--   * measure_eligible: >= 2 fills on different dates and the first fill >= 91 days before the end of
--     the period. Exclusions are columns, not filters (the quality measures apply hospice and ESRD;
--     PDC-RASA excludes sacubitril/valsartan users, PDC-DR insulin users).
-- adherent compares in integers (covered * 5 >= days * 4), so 80.0% exactly is adherent.
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
period AS (
    SELECT
        m.member_id,
        m.hospice,
        m.esrd,
        least(
            p.as_of_date,
            coalesce(m.death_date, p.as_of_date),
            coalesce(max(least(c.island_end, p.as_of_date)), p.as_of_date)
        ) AS period_end
    FROM core_member AS m
    CROSS JOIN p
    LEFT JOIN core_member_coverage AS c ON c.member_id = m.member_id AND c.island_start <= p.as_of_date
    GROUP BY m.member_id, m.hospice, m.esrd, m.death_date, p.as_of_date
),
classes AS (
    SELECT * FROM (VALUES ('statin', 'statins'), ('ras', 'RAS antagonists'),
                          ('diabetes', 'non-insulin diabetes drugs')) AS t(pqa_class, class_label)
),
cy_fill AS (
    SELECT f.*, e.period_end
    FROM core_year_fill AS f
    JOIN period AS e ON e.member_id = f.member_id
    CROSS JOIN p
    WHERE f.fill_date BETWEEN p.cy_start AND e.period_end
),
class_fill AS (
    SELECT f.member_id, c.pqa_class, f.drug_key, f.claim_id, f.fill_date, f.days_supply, f.period_end
    FROM cy_fill AS f
    JOIN classes AS c
      ON (c.pqa_class = 'statin' AND f.pqa_statin)
      OR (c.pqa_class = 'ras' AND f.pqa_ras)
      OR (c.pqa_class = 'diabetes' AND f.pqa_diabetes_noninsulin)
),
day_fill AS (  -- calendar days since 1 January (the signal's convention: every day of the period exists)
    SELECT {'member_id': f.member_id, 'pqa_class': f.pqa_class, 'drug_key': f.drug_key} AS k,
           f.member_id, f.pqa_class, f.fill_date, f.claim_id, f.days_supply, f.period_end,
           date_diff('day', p.cy_start, f.fill_date) AS start_day,
           date_diff('day', p.cy_start, f.period_end) + 1 AS end_day
    FROM class_fill AS f
    CROSS JOIN p
),
class_member AS (
    SELECT
        member_id, pqa_class,
        min(fill_date)                                   AS treatment_start,
        any_value(period_end)                            AS period_end,
        count(*)                                         AS fills,
        count(DISTINCT fill_date)                        AS fill_dates,
        string_agg(DISTINCT drug_key, ' + ' ORDER BY drug_key) AS drugs,
        bool_or(drug_key IS NULL) OR min(drug_key) <> max(drug_key) AS several_drugs
    FROM class_fill
    GROUP BY member_id, pqa_class
),
supply AS (  -- the shift of section 9 (shifted_supply), cut at the end of the period; inclusive days
    SELECT f.member_id, f.pqa_class, c.several_drugs, f.cover_start AS s, least(f.cover_end, f.end_day) - 1 AS e
    FROM shifted_supply('day_fill') AS f
    JOIN class_member AS c ON c.member_id = f.member_id AND c.pqa_class = f.pqa_class
),
several_drug_supply AS (
    SELECT {'member_id': member_id, 'pqa_class': pqa_class} AS k, s, e FROM supply WHERE several_drugs
),
covered AS (  -- one drug's shifted supplies never overlap (a fill starts after the earlier supply ends,
              -- days_supply >= 1): their days add up; the days of several drugs are merged into islands
    SELECT member_id, pqa_class, sum(e - s + 1) AS days_covered
    FROM supply
    WHERE NOT several_drugs AND s <= e
    GROUP BY ALL
    UNION ALL
    SELECT k.member_id, k.pqa_class, sum(island_end - island_start + 1) AS days_covered
    FROM interval_islands('several_drug_supply')
    GROUP BY ALL
),
drug_exclusion AS (  -- from the excluding fills only (a member without one is not excluded)
    SELECT member_id,
           bool_or(pqa_sacubitril_valsartan) AS sacubitril_valsartan_user,
           bool_or(pqa_insulin)              AS insulin_user
    FROM cy_fill
    WHERE pqa_sacubitril_valsartan OR pqa_insulin
    GROUP BY member_id
)
SELECT
    k.member_id,
    k.pqa_class,
    c.class_label,
    k.drugs,
    k.fills,
    k.fill_dates,
    k.treatment_start,
    k.period_end,
    date_diff('day', k.treatment_start, k.period_end) + 1                AS days_in_period,
    coalesce(v.days_covered, 0)::INTEGER                                 AS days_covered,
    round(coalesce(v.days_covered, 0) / (date_diff('day', k.treatment_start, k.period_end) + 1), 4)
                                                                         AS pdc,
    coalesce(v.days_covered, 0) * 5 >= (date_diff('day', k.treatment_start, k.period_end) + 1) * 4
                                                                         AS adherent,
    k.fill_dates >= 2 AND date_diff('day', k.treatment_start, k.period_end) >= 91 AS measure_eligible,
    CASE k.pqa_class
        WHEN 'ras' THEN coalesce(x.sacubitril_valsartan_user, false)
        WHEN 'diabetes' THEN coalesce(x.insulin_user, false)
        ELSE false
    END                                                                  AS drug_excluded,
    e.hospice,
    e.esrd
FROM class_member AS k
JOIN classes AS c ON c.pqa_class = k.pqa_class
JOIN period AS e ON e.member_id = k.member_id
LEFT JOIN covered AS v ON v.member_id = k.member_id AND v.pqa_class = k.pqa_class
LEFT JOIN drug_exclusion AS x ON x.member_id = k.member_id
