-- Fills that count for the medication-risk signals (targeting-rules.md section 8): counted Part D fills
-- of the drugs active at D (core_active_drug), each covering fill_date .. fill_date + days_supply - 1,
-- cut at D, with the drug reference's class and flags (NULL for a drug the reference does not know).
-- Signals follow the product, not the route alone: a fill counts when its product is systemic
-- (core_fill.systemic, decided once per product in core_fill_product: a product is left out only when
-- its ATC code is a local preparation -- eye S01, ear S02, skin D, nasal R01, vaginal G01/G02, rectal C05
-- and A06AG; without any ATC code, when its route is local). So butorphanol nasal spray (N02AF01), diazepam
-- rectal gel (N05BA01) and promethazine suppositories (R06AD02) count; timolol eye drops (S01ED01) and a
-- steroid cream (D07) do not. The quality measures use the same definition (section 9).
-- (Condition evidence keeps its own route rule, section 2: core_fill.local_use.)
WITH p AS (SELECT * FROM run_parameters),
fill AS (
    SELECT f.*
    FROM core_fill AS f
    JOIN core_active_drug AS a ON a.member_id = f.member_id AND a.drug_key = f.drug_key
    WHERE f.fill_status = 'counted' AND f.systemic
)
SELECT
    f.claim_id,
    f.member_id,
    f.drug_key,
    f.fill_date,
    f.days_supply,
    f.fill_date                                   AS cover_start,
    least(f.last_covered_day, p.as_of_date)       AS cover_end,
    f.route,
    f.atc_codes,
    d.drug_class,
    d.opioid,
    d.benzodiazepine,
    d.anticholinergic,
    d.cns_active,
    d.high_risk_elderly
FROM fill AS f
CROSS JOIN p
LEFT JOIN ref_drug AS d ON d.drug_key = f.drug_key
