-- What a fill is, once per distinct (ndc, generic_name, route text) among the fills dated on or before D:
-- a fill's identity depends on those three columns alone, so it is found once per combination (a few
-- thousand at 1M members) and core_fill attaches it to every fill (targeting-rules.md section 2).
--   drug_key         the drug it belongs to (targeting-rules.md section 2): NDC -> ingredient set through
--                    the NDC maps (ref_ndc_identity: plan imports > curated > FDA NDC Directory);
--                    an NDC in no map whose product (first nine digits) is known -> that product's
--                    ingredients (ref_ndc_product); else the normalised generic_name; else the NDC's
--                    first nine digits. Compounds (NDC 00000000000) are never looked up: by
--                    generic_name, else one drug.
--   identity_level   which of those rules found it: ndc | ndc_product | generic_name | ndc9 | compound
--                    (reported every run)
--   ndc_map          the map that identified the NDC or its product (plan_import, curated,
--                    fda_ndc_directory, weight_management_products)
--   atc_codes        product-level ATC codes (a combination product has its own code)
--   route            canonical route (route_map.csv) of the claim's route text, else of the NDC map's route
--   local_use        a locally used product by route (nasal, eye, ear, skin, rectal, vaginal): never
--                    evidence of a condition (section 2's route rule)
--   systemic         the product counts as systemic exposure for the risk signals (section 8) and the
--                    quality measures (section 9, readings of 2026-12-07): one definition for both. It
--                    follows the product's ATC, not the route alone: a product is local (not systemic)
--                    only when its ATC code is a local preparation (local_preparation_atc.csv: eye S01,
--                    ear S02, skin D, nasal R01, vaginal G01/G02, rectal C05 and A06AG). With the NDC
--                    map's product code that code decides; with the ingredient's codes the product is
--                    local when every code is a local preparation (latanoprost: S01 only), or when the
--                    route is local and the ingredient has a local code of that route (fluticasone,
--                    nasal: R01AD08). So butorphanol nasal spray (N02AF01) and promethazine
--                    suppositories (R06AD02; its only local code is skin, D04AA10) are systemic. A
--                    product without any ATC code has only its route to go by (local_use).
--   weight_management  a GLP-1 product marketed for weight management (section 9: not a diabetes drug
--                    for the quality measures); false when unknown
--   route_text       the claim's route as given (part of the key)
WITH product AS (
    SELECT DISTINCT f.ndc, f.generic_name, f.route
    FROM stg_pharmacy_claim AS f
    WHERE f.fill_date <= (SELECT as_of_date FROM run_parameters)
),
identified AS (
    SELECT
        f.*,
        CASE
            WHEN f.ndc = '00000000000' THEN coalesce(g.drug_key, 'compound')
            WHEN n.ndc11 IS NOT NULL THEN n.drug_key
            WHEN pr.product_ndc9 IS NOT NULL THEN pr.drug_key
            WHEN g.drug_key IS NOT NULL THEN g.drug_key
            ELSE 'ndc9:' || left(f.ndc, 9)
        END AS drug_key,
        CASE
            WHEN f.ndc = '00000000000' THEN 'compound'
            WHEN n.ndc11 IS NOT NULL THEN 'ndc'
            WHEN pr.product_ndc9 IS NOT NULL THEN 'ndc_product'
            WHEN g.drug_key IS NOT NULL THEN 'generic_name'
            ELSE 'ndc9'
        END AS identity_level,
        -- the map row that identified the fill: the NDC's own, else its product's
        CASE WHEN f.ndc = '00000000000' THEN NULL WHEN n.ndc11 IS NOT NULL THEN n.ndc_map ELSE pr.ndc_map END
            AS ndc_map,
        CASE WHEN f.ndc = '00000000000' THEN NULL WHEN n.ndc11 IS NOT NULL THEN n.atc_code ELSE pr.atc_code END
            AS product_atc_code,
        CASE WHEN f.ndc = '00000000000' THEN NULL WHEN n.ndc11 IS NOT NULL THEN n.route ELSE pr.route END
            AS map_route,
        wm.product_ndc9 IS NOT NULL AS weight_management
    FROM product AS f
    -- equality joins only (an extra condition here turns DuckDB's hash join into a nested loop)
    LEFT JOIN ref_ndc_identity AS n ON n.ndc11 = f.ndc
    LEFT JOIN ref_ndc_product AS pr ON pr.product_ndc9 = left(f.ndc, 9)
    LEFT JOIN ref_weight_management_product AS wm ON wm.product_ndc9 = left(f.ndc, 9)
    LEFT JOIN ref_generic_name AS g ON g.generic_name = f.generic_name
),
routed AS (
    SELECT
        i.*,
        coalesce(claim_route.route, map_route.route)                AS canonical_route,
        coalesce(claim_route.local_use, map_route.local_use, false) AS local_use,
        CASE
            WHEN i.product_atc_code IS NOT NULL THEN [i.product_atc_code]
            WHEN i.identity_level IN ('ndc', 'ndc_product', 'generic_name', 'compound')
                THEN coalesce(d.atc_code_list, [])
            ELSE []
        END                                                         AS atc_codes
    FROM identified AS i
    LEFT JOIN ref_route AS claim_route ON claim_route.route_text = i.route
    LEFT JOIN ref_route AS map_route ON map_route.route_text = lower(i.map_route)
    LEFT JOIN ref_drug AS d ON d.drug_key = i.drug_key
),
product_code AS (  -- whether a product is local depends only on its ATC codes and route
    SELECT atc_codes, canonical_route, unnest(atc_codes) AS atc_code
    FROM (SELECT DISTINCT atc_codes, canonical_route FROM routed)
),
local_product AS (
    SELECT c.atc_codes, c.canonical_route
    FROM product_code AS c
    LEFT JOIN seed_local_preparation_atc AS l ON starts_with(c.atc_code, l.atc_prefix)
    GROUP BY c.atc_codes, c.canonical_route
    HAVING bool_and(l.atc_prefix IS NOT NULL) OR coalesce(bool_or(l.route = c.canonical_route), false)
)
SELECT
    r.ndc,
    r.generic_name,
    r.route                                                    AS route_text,
    r.drug_key,
    r.identity_level,
    r.ndc_map,
    r.atc_codes,
    r.canonical_route                                          AS route,
    r.local_use,
    CASE WHEN len(r.atc_codes) = 0 THEN NOT r.local_use ELSE lp.atc_codes IS NULL END AS systemic,
    r.weight_management
FROM routed AS r
LEFT JOIN local_product AS lp
  ON lp.atc_codes = r.atc_codes AND lp.canonical_route IS NOT DISTINCT FROM r.canonical_route
