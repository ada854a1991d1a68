-- Fills that count for the medication-risk signals (targeting-rules.md section 8): counted Part D fills
-- of the drugs active at D (core_active_drug), each covering fill_date .. fill_date + days_supply - 1,
-- cut at D, with the drug reference's class and flags (NULL for a drug the reference does not know).
-- Signals follow the product, not the route alone: a fill is left out only when its product is a local
-- preparation by its ATC code -- eye S01, ear S02, skin D, nasal R01, vaginal G01/G02, rectal C05 and
-- A06AG. So butorphanol nasal spray (N02AF01), diazepam rectal gel (N05BA01) and promethazine
-- suppositories (R06AD02) count; timolol eye drops (S01ED01) and a steroid cream (D07) do not.
-- The product's code is the NDC map's product code when it has one (core_fill.atc_codes holds just that
-- code); otherwise atc_codes holds all the ingredient's codes and the fill is local when
--   every one of those codes is a local preparation (latanoprost: S01 only), or
--   the fill's route is local and the ingredient has a local code of that route (fluticasone, route
--   nasal: R01AD08) -- a rectal promethazine fill is not local, its only local code is skin (D04AA10).
-- A product without any ATC code (a compound, a drug the reference does not know) has only its route to
-- go by: it is local when its route is (core_fill.local_use: a compounded cream does not count).
-- No route and no local-only code: the fill counts (as systemic), as in section 2.
-- (Condition evidence keeps its own route rule, section 2: core_fill.local_use.)
WITH p AS (SELECT * FROM run_parameters),
local_atc AS (
    SELECT * FROM (VALUES
        ('S01', 'ophthalmic'), ('S02', 'otic'), ('D', 'topical'), ('R01', 'nasal'),
        ('G01', 'vaginal'), ('G02', 'vaginal'), ('C05', 'rectal'), ('A06AG', 'rectal')
    ) AS t(atc_prefix, route)
),
fill AS (
    SELECT f.*
    FROM core_fill AS f
    JOIN core_active_drug AS a ON a.member_id = f.member_id AND a.drug_key = f.drug_key
    WHERE f.fill_status = 'counted'
),
product AS (  -- whether a fill is local depends only on its ATC codes and route: decided per combination
    SELECT DISTINCT atc_codes, route FROM core_fill_product
),
product_code AS (
    SELECT atc_codes, route, unnest(atc_codes) AS atc_code FROM product
),
code_local AS (  -- the local route(s) of each distinct ATC code
    SELECT c.atc_code, l.route
    FROM (SELECT DISTINCT atc_code FROM product_code) AS c
    JOIN local_atc AS l ON starts_with(c.atc_code, l.atc_prefix)
),
local_product AS (
    SELECT c.atc_codes, c.route
    FROM product_code AS c
    LEFT JOIN code_local AS l ON l.atc_code = c.atc_code
    GROUP BY c.atc_codes, c.route
    HAVING bool_and(l.atc_code IS NOT NULL) OR coalesce(bool_or(l.route = c.route), false)
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
LEFT JOIN local_product AS l ON l.atc_codes IS NOT DISTINCT FROM f.atc_codes AND l.route IS NOT DISTINCT FROM f.route
WHERE l.atc_codes IS NULL
  AND NOT (len(f.atc_codes) = 0 AND f.local_use)
