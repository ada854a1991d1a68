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
--   local_use        a locally used product (nasal, eye, ear, skin, rectal, vaginal): never evidence
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
)
SELECT
    ndc,
    generic_name,
    route                                                      AS route_text,
    drug_key,
    identity_level,
    ndc_map,
    atc_codes,
    canonical_route                                            AS route,
    local_use,
    weight_management
FROM routed
