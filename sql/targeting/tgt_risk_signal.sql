-- Medication-risk signals (targeting-rules.md section 8), one row per member x signal x group with its
-- evidence: which drugs, how many days, the first and last day of the evidence, and a phrase in words.
-- Fills considered are those of tgt_signal_interval (their covered intervals, narrow: issue 27): the member's
-- drugs active at D (core_active_drug), a fill
-- covering fill_date .. fill_date + days_supply - 1, cut at D, local preparations left out by their ATC
-- code (eye drops, ear drops, creams, nasal steroids, vaginal and anorectal products: timolol eye drops
-- are not a second beta blocker) while systemic products count whatever their route (butorphanol nasal
-- spray is an opioid, rectal diazepam a benzodiazepine). Overlap is counted in days: a day counts when it
-- is covered by enough distinct kinds at once (several fills of one drug on one day count once).
--   opioid_benzodiazepine  an opioid and a benzodiazepine both covered, >= 30 days of the last 365
--   anticholinergic_burden >= 2 distinct anticholinergic drugs covered together, >= 30 days of the last 365
--   cns_polypharmacy       >= 3 distinct CNS-active drugs covered together, >= 30 days of the last 365;
--                          CNS-active = the drug reference's cns_active flag (the PQA Poly-CNS classes) or
--                          an ingredient of ref_risk_signal_drug (Beers 2023: skeletal muscle relaxants)
--   duplicate_therapy      >= 2 distinct drugs of one duplicate group covered together on >= 14 days of
--                          the last 90 (a switch, the old supply running a few days into the new, is not
--                          a duplicate; issue 25 item 9), one row per group. The group is the drug's
--                          class, as ref_duplicate_therapy_class refines it: classes in which combining two
--                          different drugs is the standard of care, or that group unlike drugs, are not
--                          compared (hiv_antiretroviral, nrti, insulin, dmard, immunosuppressant,
--                          antineoplastic_oral, antidepressant_other, laxative, vitamin), and antiplatelets
--                          only P2Y12 inhibitor with P2Y12 inhibitor (aspirin + clopidogrel is dual
--                          antiplatelet therapy, not a duplicate).
-- The windows and thresholds of these four signals are data: ref_risk_signal_rule (risk_signal_rules.csv).
--   adherence_gap          PDC < 80% year to date in a PQA class (tgt_member_pdc: measure-eligible, not
--                          excluded by sacubitril/valsartan or insulin use; one row per class)
--   high_risk_elderly      age >= 65 and an active drug flagged high-risk in the elderly
--   drug_interaction       a pair of the cited interaction table (tgt_drug_interaction), one row per drug
--                          pair (signal_group = the pair), unless the same two drugs are already
--                          reported together by opioid_benzodiazepine or duplicate_therapy: no drug pair
--                          is flagged twice.
-- severity / severity_factor: the interaction's severity and its factor (contraindicated 1.0, major 0.75,
-- moderate 0.5) for drug_interaction rows; NULL / 1.0 for the other signals.
-- Each overlap signal is computed with a sweep: the covered days of each kind are merged into islands,
-- each island adds one kind on its first day and removes it the day after its last, so the running sum
-- over the boundaries is the number of distinct kinds covering each segment between two boundaries; the
-- drugs listed are those covering a segment with enough kinds.
WITH p AS (SELECT * FROM run_parameters),
drug_fill AS (  -- the covered intervals of the fills that count (from the start of the longest window)
    SELECT * FROM tgt_signal_interval
),
rules AS (  -- drug_interaction has its own model (tgt_drug_interaction)
    SELECT signal, window_days, min_kinds, min_days FROM ref_risk_signal_rule WHERE signal <> 'drug_interaction'
),
signal_drug AS (  -- drugs that count for a signal by one of their ingredients (Beers muscle relaxants)
    SELECT DISTINCT d.drug_key, x.signal
    FROM (SELECT DISTINCT drug_key FROM drug_fill) AS d
    JOIN ref_risk_signal_drug AS x ON list_contains(string_split(d.drug_key, ' / '), x.ingredient)
),
duplicate_group AS (  -- each class + product codes in its duplicate group ('' = not compared)
    SELECT k.drug_class, k.atc_codes,
           coalesce(arg_max(c.duplicate_group, length(c.atc_prefix)), k.drug_class) AS grp
    FROM (SELECT DISTINCT drug_class, atc_codes FROM drug_fill WHERE drug_class IS NOT NULL) AS k
    LEFT JOIN ref_duplicate_therapy_class AS c
      ON c.drug_class = k.drug_class
     AND (c.atc_prefix = '' OR len(list_filter(k.atc_codes, x -> starts_with(x, c.atc_prefix))) > 0)
    GROUP BY k.drug_class, k.atc_codes
),
tagged AS (
    SELECT member_id, 'opioid_benzodiazepine' AS signal, '' AS grp,
           CASE WHEN opioid THEN 'opioid' ELSE 'benzodiazepine' END AS kind, drug_key, cover_start, cover_end
    FROM drug_fill WHERE opioid OR benzodiazepine
    UNION ALL
    SELECT member_id, 'anticholinergic_burden', '', drug_key, drug_key, cover_start, cover_end
    FROM drug_fill
    WHERE anticholinergic
       OR drug_key IN (SELECT drug_key FROM signal_drug WHERE signal = 'anticholinergic_burden')
    UNION ALL
    SELECT member_id, 'cns_polypharmacy', '', drug_key, drug_key, cover_start, cover_end
    FROM drug_fill
    WHERE cns_active
       OR drug_key IN (SELECT drug_key FROM signal_drug WHERE signal = 'cns_polypharmacy')
    UNION ALL
    SELECT f.member_id, 'duplicate_therapy', g.grp, f.drug_key, f.drug_key, f.cover_start, f.cover_end
    FROM drug_fill AS f
    JOIN duplicate_group AS g ON g.drug_class = f.drug_class AND g.atc_codes IS NOT DISTINCT FROM f.atc_codes
    WHERE g.grp <> ''
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
enough AS (  -- only a member x signal x group with enough kinds in the window can have days with enough at once
    SELECT member_id, signal, grp
    FROM intervals
    WHERE s <= e
    GROUP BY member_id, signal, grp
    HAVING count(DISTINCT kind) >= any_value(min_kinds)
),
live AS (
    SELECT i.*
    FROM intervals AS i
    SEMI JOIN enough AS g ON g.member_id = i.member_id AND g.signal = i.signal AND g.grp = i.grp
    WHERE i.s <= i.e
),
kind_span AS (
    SELECT {'member_id': member_id, 'signal': signal, 'grp': grp, 'kind': kind} AS k, s, e FROM live
),
kind_island AS (  -- the covered days of one kind merged into islands (fills of a kind overlap or touch)
    SELECT {'member_id': k.member_id, 'signal': k.signal, 'grp': k.grp} AS k, island_start AS s, island_end AS e
    FROM interval_islands('kind_span')
),
together AS (  -- the segments with enough kinds at once (interval_sweep: kinds covering each segment)
    SELECT w.k.member_id, w.k.signal, w.k.grp, w.seg_start, w.seg_end
    FROM interval_sweep('kind_island') AS w
    JOIN rules AS r ON r.signal = w.k.signal
    WHERE w.kinds >= r.min_kinds
),
together_drug AS (  -- the drugs covering those segments
    SELECT t.member_id, t.signal, t.grp, list_sort(list_distinct(list(i.drug_key))) AS drug_list
    FROM together AS t
    JOIN live AS i
      ON i.member_id = t.member_id AND i.signal = t.signal AND i.grp = t.grp
     AND i.s <= t.seg_end AND i.e >= t.seg_start
    GROUP BY t.member_id, t.signal, t.grp
),
overlap AS (
    SELECT t.member_id, t.signal, t.grp,
           sum(date_diff('day', t.seg_start, t.seg_end) + 1)::INTEGER AS overlap_days,
           min(t.seg_start) AS first_day,
           max(t.seg_end) AS last_day,
           any_value(d.drug_list) AS drug_list,
           any_value(r.min_days) AS min_days
    FROM together AS t
    JOIN together_drug AS d ON d.member_id = t.member_id AND d.signal = t.signal AND d.grp = t.grp
    JOIN rules AS r ON r.signal = t.signal
    GROUP BY t.member_id, t.signal, t.grp
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
           min(f.first_recent_start) AS first_day,  -- the first of the fills reaching the look-back
           max(f.cover_end) AS last_day, CAST(NULL AS DOUBLE) AS pdc,
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
