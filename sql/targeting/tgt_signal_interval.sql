-- The days covered by the fills that count for the medication-risk signals (targeting-rules.md section 8),
-- narrow (issue 27): one row per covered interval of a member x drug x product codes, only what the signals
-- (tgt_risk_signal) and the drug interactions (tgt_drug_interaction) read -- no claim id, NDC, route or days
-- supply -- and only the intervals that reach into the period a signal looks at. Fills that count: counted
-- Part D fills of the drugs active at D (core_active_drug) whose product is systemic (core_fill.systemic,
-- decided once per product in core_fill_product: a product is left out only when its ATC code is a local
-- preparation -- eye S01, ear S02, skin D, nasal R01, vaginal G01/G02, rectal C05 and A06AG; without any ATC
-- code, when its route is local). So butorphanol nasal spray (N02AF01), diazepam rectal gel (N05BA01) and
-- promethazine suppositories (R06AD02) count; timolol eye drops (S01ED01) and a steroid cream (D07) do not.
-- The quality measures use the same definition (section 9). (Condition evidence keeps its own route rule,
-- section 2: core_fill.local_use.)
--   cover_start, cover_end   a fill's covered days: fill_date .. fill_date + days_supply - 1, cut at D; kept
--                            when cover_end is in the period: from the start of the longest signal window
--                            (risk_signal_rules.csv: 365 days; the drug look-back when a plan sets it
--                            longer) to D. Each reader cuts them at its own window start and merges a
--                            drug's or a kind's intervals into islands itself (interval_islands).
--   atc_codes                the product's codes (the duplicate-therapy group and the interactions' ATC
--                            prefixes follow the product)
--   last_fill_date           the member's latest fill of the drug, of all its fills that count (the
--                            interactions' "last fills"); the same on every row of the member x drug
--   first_recent_start       the first fill date of the drug's fills still covering a day of the drug
--                            look-back (cover end >= D - drug_lookback_days + 1; the evidence dates of
--                            high_risk_elderly); the same on every row of the member x drug
-- with the drug reference's class and flags (NULL for a drug the reference does not know).
-- Merging each drug's fills into islands here was measured and left out: fills of one drug seldom touch
-- (30k members: 875,023 intervals -> 455,617 islands), and the two windows cost more than the rows saved.
WITH p AS (SELECT * FROM run_parameters),
period AS (  -- the first day any signal looks at
    SELECT p.as_of_date - (greatest(r.longest, p.drug_lookback_days) - 1) AS first_day
    FROM (SELECT max(window_days) AS longest FROM ref_risk_signal_rule) AS r
    CROSS JOIN p
),
fill AS (
    SELECT f.member_id, f.drug_key, f.atc_codes, f.fill_date,
           least(f.last_covered_day, p.as_of_date) AS cover_end
    FROM core_fill AS f
    CROSS JOIN p
    JOIN core_active_drug AS a ON a.member_id = f.member_id AND a.drug_key = f.drug_key
    WHERE f.fill_status = 'counted' AND f.systemic
),
drug_span AS (  -- the fills covering a day of the period
    SELECT f.member_id, f.drug_key, f.atc_codes, f.fill_date AS s, f.cover_end AS e
    FROM fill AS f
    CROSS JOIN period AS w
    WHERE f.cover_end >= w.first_day
),
drug_date AS (
    SELECT f.member_id, f.drug_key,
           max(f.fill_date)                                                                AS last_fill_date,
           min(f.fill_date) FILTER (WHERE f.cover_end >= p.as_of_date - (p.drug_lookback_days - 1))
                                                                                           AS first_recent_start
    FROM fill AS f
    CROSS JOIN p
    GROUP BY f.member_id, f.drug_key
)
SELECT
    i.member_id,
    i.drug_key,
    i.atc_codes,
    i.s                                           AS cover_start,
    i.e                                           AS cover_end,
    t.last_fill_date,
    t.first_recent_start,
    d.drug_class,
    d.opioid,
    d.benzodiazepine,
    d.anticholinergic,
    d.cns_active,
    d.high_risk_elderly
FROM drug_span AS i
JOIN drug_date AS t ON t.member_id = i.member_id AND t.drug_key = i.drug_key
LEFT JOIN ref_drug AS d ON d.drug_key = i.drug_key
