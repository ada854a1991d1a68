-- Drug-drug interactions per member (targeting-rules.md section 8, "drug-drug interaction"): one row per
-- member x interacting drug pair, from the project's cited interaction table (ref_drug_interaction,
-- pipelines/reference/data/drug_interactions.csv: AGS Beers Criteria 2023, ONC high-priority list,
-- FDA labels; rows whose `signal` is another risk signal, e.g. 3+ CNS-active drugs, are reported there).
-- A pair is flagged when
--   one drug matches the row's object and a different drug its precipitant: `ingredient` = one of the
--   drug's ingredients (a combination product counts for each), `drug_class` = the drug reference's
--   class, `atc` = a product ATC code starting with the prefix (';' separates alternatives);
--   both drugs are active at D and count for signals (tgt_signal_interval: local preparations never count);
--   their covered days (fill_date .. fill_date + days_supply - 1, fills of one drug merged, cut at D)
--   overlap on at least [outreach] ddi_min_overlap_days (default 7) days of the last 90 (D-89 .. D);
--   the member meets the row's min_age and sex, when it names them;
--   the member has the condition the row requires, when it names one (requires_condition;
--   ref_interaction_condition): DDI01, a RAS inhibitor or potassium-sparing diuretic with another (AGS Beers
--   2023 Table 5), counts only with chronic kidney disease stage 3a or worse (ckd_3a_plus): a valid code
--   N18.3x / N18.4 / N18.5 / N18.6 / Z99.2 (ICD-9 585.3-585.6, V45.1) on any current medical claim, any
--   claim type, dated in the last dx_lookback_days (default 730, the window of condition evidence,
--   section 4), or ESRD status at D. Without it the pair is mostly guideline heart-failure therapy
--   (ACE inhibitor / ARB / ARNI + spironolactone), which Beers does not ask to avoid.
-- A drug pair is listed once: when it matches several rows, the most severe (then the lowest id) wins.
-- severity_factor scales the [priority] drug_interaction weight: contraindicated 1.0, major 0.75,
-- moderate 0.5. Program metrics count members per interaction_id from this table.
WITH p AS (SELECT * FROM run_parameters),
window_days AS (  -- the last 90 days: ref_risk_signal_rule (risk_signal_rules.csv)
    SELECT window_days AS n FROM ref_risk_signal_rule WHERE signal = 'drug_interaction'
),
severity AS (  -- the order of the severities and their weight factors (drug_interaction_severities.csv)
    SELECT severity, severity_rank, severity_factor FROM ref_drug_interaction_severity
),
rule AS (
    SELECT * FROM ref_drug_interaction WHERE signal = 'drug_interaction'
),
member_condition AS (  -- the conditions a row may require: a diagnosis in the lookback, or a member status
    SELECT DISTINCT d.member_id, c.condition
    FROM stg_diagnosis AS d
    CROSS JOIN p
    JOIN ref_interaction_condition AS c
      ON c.icd_version = d.icd_version AND left(c.code, 3) = left(d.code, 3) AND starts_with(d.code, c.code)
    WHERE d.claim_start_date BETWEEN p.as_of_date - (p.dx_lookback_days - 1) AND p.as_of_date
    UNION
    SELECT m.member_id, c.condition
    FROM core_member AS m
    JOIN ref_interaction_condition AS c ON c.evidence = 'status' AND c.code = 'esrd'
    WHERE m.esrd
),
rule_side AS (
    SELECT interaction_id, 'object' AS side, object_kind AS kind, unnest(string_split(object, ';')) AS value
    FROM rule
    UNION ALL
    SELECT interaction_id, 'precipitant', precipitant_kind, unnest(string_split(precipitant, ';'))
    FROM rule
),
fill AS (  -- the covered days that reach into the window (islands of the drug's fills, cut at its start)
    SELECT f.*, greatest(f.cover_start, p.as_of_date - (w.n - 1)) AS s, f.cover_end AS e
    FROM tgt_signal_interval AS f
    CROSS JOIN p
    CROSS JOIN window_days AS w
    WHERE f.cover_end >= p.as_of_date - (w.n - 1)
),
drug AS (
    SELECT DISTINCT member_id, drug_key, drug_class, atc_codes FROM fill
),
product AS (  -- what a drug can match depends on its product only: matched once per product, not per member
    SELECT DISTINCT drug_key, drug_class, atc_codes FROM drug
),
drug_value AS (  -- what a product can match: its ingredients, its class, every prefix of its ATC codes
    SELECT drug_key, drug_class, atc_codes, 'ingredient' AS kind, unnest(string_split(drug_key, ' / ')) AS value
    FROM product
    UNION
    SELECT drug_key, drug_class, atc_codes, 'drug_class', drug_class FROM product WHERE drug_class IS NOT NULL
    UNION
    SELECT c.drug_key, c.drug_class, c.atc_codes, 'atc', left(c.code, l.n)
    FROM (SELECT drug_key, drug_class, atc_codes, unnest(atc_codes) AS code FROM product) AS c
    CROSS JOIN (VALUES (1), (3), (4), (5), (7)) AS l(n)
),
product_side AS (
    SELECT DISTINCT v.drug_key, v.drug_class, v.atc_codes, r.interaction_id, r.side
    FROM drug_value AS v
    JOIN rule_side AS r ON r.kind = v.kind AND r.value = v.value
),
side_drug AS (
    SELECT DISTINCT d.member_id, d.drug_key, s.interaction_id, s.side
    FROM drug AS d
    JOIN product_side AS s
      ON s.drug_key = d.drug_key AND s.drug_class IS NOT DISTINCT FROM d.drug_class
     AND s.atc_codes IS NOT DISTINCT FROM d.atc_codes
),
pair AS (
    SELECT o.member_id, o.interaction_id, o.drug_key AS object_drug, q.drug_key AS precipitant_drug
    FROM side_drug AS o
    JOIN side_drug AS q
      ON q.member_id = o.member_id AND q.interaction_id = o.interaction_id
     AND o.side = 'object' AND q.side = 'precipitant' AND q.drug_key <> o.drug_key
),
pair_drug AS (  -- the drugs of a candidate pair (no other drug's days are compared)
    SELECT member_id, object_drug AS drug_key FROM pair
    UNION
    SELECT member_id, precipitant_drug FROM pair
),
drug_span AS (
    SELECT {'member_id': f.member_id, 'drug_key': f.drug_key} AS k, f.s, f.e
    FROM fill AS f
    SEMI JOIN pair_drug AS d ON d.member_id = f.member_id AND d.drug_key = f.drug_key
),
island AS (  -- covered days of one drug merged into islands (several fills of a drug count once)
    SELECT k.member_id, k.drug_key, island_start AS s, island_end AS e FROM interval_islands('drug_span')
),
last_fill AS (
    SELECT member_id, drug_key, max(last_fill_date) AS last_fill_date FROM tgt_signal_interval GROUP BY ALL
),
overlap AS (
    SELECT x.member_id, x.interaction_id, x.object_drug, x.precipitant_drug,
           sum(date_diff('day', greatest(a.s, b.s), least(a.e, b.e)) + 1)::INTEGER AS overlap_days,
           min(greatest(a.s, b.s)) AS first_day,
           max(least(a.e, b.e)) AS last_day
    FROM pair AS x
    JOIN island AS a ON a.member_id = x.member_id AND a.drug_key = x.object_drug
    JOIN island AS b ON b.member_id = x.member_id AND b.drug_key = x.precipitant_drug
    WHERE greatest(a.s, b.s) <= least(a.e, b.e)
    GROUP BY ALL
),
flagged AS (
    SELECT o.*, r.risk, r.severity, v.severity_rank, v.severity_factor, r.condition, r.source,
           row_number() OVER (
               PARTITION BY o.member_id, least(o.object_drug, o.precipitant_drug),
                            greatest(o.object_drug, o.precipitant_drug)
               ORDER BY v.severity_rank DESC, o.interaction_id, o.object_drug) AS pair_rank
    FROM overlap AS o
    CROSS JOIN p
    JOIN rule AS r ON r.interaction_id = o.interaction_id
    JOIN severity AS v ON v.severity = r.severity
    JOIN core_member AS m ON m.member_id = o.member_id
    WHERE o.overlap_days >= p.ddi_min_overlap_days
      AND (r.min_age IS NULL OR m.age >= r.min_age)
      AND (r.sex = '' OR m.sex = r.sex)
      AND (r.requires_condition = ''
           OR EXISTS (SELECT 1 FROM member_condition AS c
                      WHERE c.member_id = o.member_id AND c.condition = r.requires_condition))
)
SELECT
    f.member_id,
    f.interaction_id,
    f.object_drug,
    f.precipitant_drug,
    f.object_drug || ' + ' || f.precipitant_drug                                  AS drugs,
    f.risk,
    f.severity,
    f.severity_factor,
    f.overlap_days,
    f.first_day,
    f.last_day,
    lo.last_fill_date                                                             AS object_last_fill,
    lp.last_fill_date                                                             AS precipitant_last_fill,
    f.condition,
    f.source,
    f.object_drug || ' + ' || f.precipitant_drug || ': ' || f.risk || ' risk, '
        || f.overlap_days || ' days together, last fills '
        || strftime(lo.last_fill_date, '%Y-%m-%d') || ' / ' || strftime(lp.last_fill_date, '%Y-%m-%d') AS detail
FROM flagged AS f
JOIN last_fill AS lo ON lo.member_id = f.member_id AND lo.drug_key = f.object_drug
JOIN last_fill AS lp ON lp.member_id = f.member_id AND lp.drug_key = f.precipitant_drug
WHERE f.pair_rank = 1
ORDER BY f.member_id, f.interaction_id, f.object_drug, f.precipitant_drug
