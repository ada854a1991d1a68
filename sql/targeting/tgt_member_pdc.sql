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
running AS (
    SELECT *,
        sum(days_supply) OVER w - days_supply AS supply_before,
        sum(days_supply) OVER w               AS supply_through
    FROM class_fill
    WINDOW w AS (PARTITION BY member_id, pqa_class, drug_key ORDER BY fill_date, claim_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
shifted AS (
    SELECT *,
        max(fill_date - CAST(supply_before AS INTEGER)) OVER w
            + CAST(supply_through AS INTEGER) - 1 AS shifted_end
    FROM running
    WINDOW w AS (PARTITION BY member_id, pqa_class, drug_key ORDER BY fill_date, claim_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
cut AS (
    SELECT member_id, pqa_class, shifted_end - days_supply + 1 AS cover_start,
           least(shifted_end, period_end) AS cover_end
    FROM shifted
),
ordered AS (
    SELECT *,
        max(cover_end) OVER (PARTITION BY member_id, pqa_class ORDER BY cover_start, cover_end
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM cut
    WHERE cover_start <= cover_end
),
islands AS (
    SELECT *,
        sum(CASE WHEN previous_end IS NULL OR cover_start > previous_end + 1 THEN 1 ELSE 0 END)
            OVER (PARTITION BY member_id, pqa_class ORDER BY cover_start, cover_end) AS island
    FROM ordered
),
covered AS (
    SELECT member_id, pqa_class, sum(days) AS days_covered
    FROM (
        SELECT member_id, pqa_class, island,
               date_diff('day', min(cover_start), greatest(max(cover_end), min(cover_start))) + 1 AS days
        FROM islands
        GROUP BY member_id, pqa_class, island
    )
    GROUP BY member_id, pqa_class
),
class_member AS (
    SELECT
        member_id, pqa_class,
        min(fill_date)                                   AS treatment_start,
        any_value(period_end)                            AS period_end,
        count(*)                                         AS fills,
        count(DISTINCT fill_date)                        AS fill_dates,
        string_agg(DISTINCT drug_key, ' + ' ORDER BY drug_key) AS drugs
    FROM class_fill
    GROUP BY member_id, pqa_class
),
drug_exclusion AS (
    SELECT member_id,
           bool_or(pqa_sacubitril_valsartan) AS sacubitril_valsartan_user,
           bool_or(pqa_insulin)              AS insulin_user
    FROM cy_fill
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
