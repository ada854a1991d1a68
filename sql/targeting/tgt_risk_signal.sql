-- Medication-risk signals (targeting-rules.md section 8), one row per member x signal x group with its
-- evidence: which drugs, how many days, the first and last day of the evidence, and a phrase in words.
-- Fills considered are those of tgt_signal_fill: the member's drugs active at D (core_active_drug), a fill
-- covering fill_date .. fill_date + days_supply - 1, cut at D, local preparations left out by their ATC
-- code (eye drops, ear drops, creams, nasal steroids, vaginal and anorectal products: timolol eye drops
-- are not a second beta blocker) while systemic products count whatever their route (butorphanol nasal
-- spray is an opioid, rectal diazepam a benzodiazepine). Overlap is counted in days: a day counts when it
-- is covered by enough distinct kinds at once (several fills of one drug on one day count once).
--   opioid_benzodiazepine  an opioid and a benzodiazepine both covered, >= 30 days of the last 365
--   anticholinergic_burden >= 2 distinct anticholinergic drugs covered together, >= 30 days of the last 365
--   cns_polypharmacy       >= 3 distinct CNS-active drugs covered together, >= 30 days of the last 365
--   duplicate_therapy      >= 2 distinct drugs of one drug class covering the same day in the last 90
--                          days (one row per class). Classes in which combining two different drugs is
--                          the standard of care, or that group unlike drugs, are not checked:
--                          hiv_antiretroviral, nrti (regimens), insulin (basal + bolus), dmard (triple
--                          therapy), immunosuppressant (transplant regimens), antineoplastic_oral,
--                          antidepressant_other (bupropion + mirtazapine is augmentation), laxative,
--                          vitamin.
--   adherence_gap          PDC < 80% year to date in a PQA class (tgt_member_pdc: measure-eligible, not
--                          excluded by sacubitril/valsartan or insulin use; one row per class)
--   high_risk_elderly      age >= 65 and an active drug flagged high-risk in the elderly
--   drug_interaction       a pair of the cited interaction table (tgt_drug_interaction), one row per drug
--                          pair (signal_group = the pair), unless the same two drugs are already
--                          reported together by opioid_benzodiazepine or duplicate_therapy: no drug pair
--                          is flagged twice.
-- severity / severity_factor: the interaction's severity and its factor (contraindicated 1.0, major 0.75,
-- moderate 0.5) for drug_interaction rows; NULL / 1.0 for the other signals.
-- Each overlap signal is computed with a sweep over the boundaries of the covered intervals: the
-- segments between consecutive boundaries have a constant set of covering drugs.
WITH p AS (SELECT * FROM run_parameters),
drug_fill AS (
    SELECT * FROM tgt_signal_fill
),
rules AS (
    SELECT * FROM (VALUES
        ('opioid_benzodiazepine', 365, 2, 30),
        ('anticholinergic_burden', 365, 2, 30),
        ('cns_polypharmacy', 365, 3, 30),
        ('duplicate_therapy', 90, 2, 1)
    ) AS t(signal, window_days, min_kinds, min_days)
),
tagged AS (
    SELECT member_id, 'opioid_benzodiazepine' AS signal, '' AS grp,
           CASE WHEN opioid THEN 'opioid' ELSE 'benzodiazepine' END AS kind, drug_key, cover_start, cover_end
    FROM drug_fill WHERE opioid OR benzodiazepine
    UNION ALL
    SELECT member_id, 'anticholinergic_burden', '', drug_key, drug_key, cover_start, cover_end
    FROM drug_fill WHERE anticholinergic
    UNION ALL
    SELECT member_id, 'cns_polypharmacy', '', drug_key, drug_key, cover_start, cover_end
    FROM drug_fill WHERE cns_active
    UNION ALL
    SELECT member_id, 'duplicate_therapy', drug_class, drug_key, drug_key, cover_start, cover_end
    FROM drug_fill
    WHERE coalesce(drug_class, '') NOT IN ('', 'hiv_antiretroviral', 'nrti', 'insulin', 'dmard',
                                           'immunosuppressant', 'antineoplastic_oral', 'antidepressant_other',
                                           'laxative', 'vitamin')
),
intervals AS (
    SELECT t.member_id, t.signal, t.grp, t.kind, t.drug_key,
           greatest(t.cover_start, p.as_of_date - (r.window_days - 1)) AS s,
           t.cover_end AS e,
           r.min_kinds, r.min_days
    FROM tagged AS t
    JOIN rules AS r ON r.signal = t.signal
    CROSS JOIN p
),
live AS (
    SELECT * FROM intervals WHERE s <= e
),
boundaries AS (
    SELECT DISTINCT member_id, signal, grp, s AS b FROM live
    UNION
    SELECT DISTINCT member_id, signal, grp, e + 1 FROM live
),
segments AS (
    SELECT member_id, signal, grp, b AS seg_start,
           lead(b) OVER (PARTITION BY member_id, signal, grp ORDER BY b) - 1 AS seg_end
    FROM boundaries
),
segment_cover AS (
    SELECT g.member_id, g.signal, g.grp, g.seg_start, g.seg_end,
           count(DISTINCT i.kind) AS kinds,
           list(DISTINCT i.drug_key) AS drugs,
           any_value(i.min_kinds) AS min_kinds,
           any_value(i.min_days) AS min_days
    FROM segments AS g
    JOIN live AS i
      ON i.member_id = g.member_id AND i.signal = g.signal AND i.grp = g.grp
     AND i.s <= g.seg_start AND i.e >= g.seg_end
    WHERE g.seg_end IS NOT NULL
    GROUP BY ALL
),
overlap AS (
    SELECT member_id, signal, grp,
           sum(date_diff('day', seg_start, seg_end) + 1)::INTEGER AS overlap_days,
           min(seg_start) AS first_day,
           max(seg_end) AS last_day,
           list_sort(list_distinct(flatten(list(drugs)))) AS drug_list,
           any_value(min_days) AS min_days
    FROM segment_cover
    WHERE kinds >= min_kinds
    GROUP BY member_id, signal, grp
),
overlap_signal AS (
    SELECT member_id, signal, grp AS signal_group, array_to_string(drug_list, ' + ') AS drugs,
           len(drug_list) AS drug_count, overlap_days, first_day, last_day, CAST(NULL AS DOUBLE) AS pdc,
           CASE signal
               WHEN 'opioid_benzodiazepine' THEN 'opioid + benzodiazepine ' || overlap_days || ' days'
               WHEN 'anticholinergic_burden'
                   THEN len(drug_list) || ' anticholinergic drugs together ' || overlap_days || ' days'
               WHEN 'cns_polypharmacy'
                   THEN len(drug_list) || ' CNS-active drugs together ' || overlap_days || ' days'
               ELSE 'duplicate ' || replace(grp, '_', ' ') || ': ' || array_to_string(drug_list, ' + ')
           END AS detail,
           CAST(NULL AS VARCHAR) AS severity, 1.0 AS severity_factor
    FROM overlap
    WHERE overlap_days >= min_days
),
adherence AS (
    SELECT member_id, 'adherence_gap' AS signal, pqa_class AS signal_group, drugs,
           len(string_split(drugs, ' + ')) AS drug_count, NULL::INTEGER AS overlap_days,
           treatment_start AS first_day, period_end AS last_day, pdc,
           'low adherence to ' || class_label || ' (PDC ' || floor(pdc * 100)::INTEGER || '%)' AS detail,
           CAST(NULL AS VARCHAR) AS severity, 1.0 AS severity_factor
    FROM tgt_member_pdc
    WHERE measure_eligible AND NOT drug_excluded AND NOT adherent
),
high_risk AS (
    SELECT f.member_id, 'high_risk_elderly' AS signal, '' AS signal_group,
           string_agg(DISTINCT f.drug_key, ' + ' ORDER BY f.drug_key) AS drugs,
           count(DISTINCT f.drug_key) AS drug_count, NULL::INTEGER AS overlap_days,
           min(f.cover_start) AS first_day, max(f.cover_end) AS last_day, CAST(NULL AS DOUBLE) AS pdc,
           'high-risk drug in the elderly: '
               || string_agg(DISTINCT f.drug_key, ' + ' ORDER BY f.drug_key) AS detail,
           CAST(NULL AS VARCHAR) AS severity, 1.0 AS severity_factor
    FROM drug_fill AS f
    JOIN core_member AS m ON m.member_id = f.member_id
    CROSS JOIN p
    WHERE f.high_risk_elderly AND m.age >= 65
      AND f.cover_end >= p.as_of_date - (p.drug_lookback_days - 1)
    GROUP BY f.member_id
),
drug_interaction AS (
    SELECT i.member_id, 'drug_interaction' AS signal, i.drugs AS signal_group, i.drugs, 2 AS drug_count,
           i.overlap_days, i.first_day, i.last_day, CAST(NULL AS DOUBLE) AS pdc, i.detail,
           i.severity, i.severity_factor
    FROM tgt_drug_interaction AS i
    WHERE NOT EXISTS (
        SELECT 1 FROM overlap_signal AS o
        WHERE o.member_id = i.member_id AND o.signal IN ('opioid_benzodiazepine', 'duplicate_therapy')
          AND list_contains(string_split(o.drugs, ' + '), i.object_drug)
          AND list_contains(string_split(o.drugs, ' + '), i.precipitant_drug))
)
SELECT * FROM overlap_signal
UNION ALL
SELECT * FROM adherence
UNION ALL
SELECT * FROM high_risk
UNION ALL
SELECT * FROM drug_interaction
ORDER BY member_id, signal, signal_group
