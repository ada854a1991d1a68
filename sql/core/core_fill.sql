-- Every current fill of a known member dated on or before D, with what it is:
--   drug_key         the drug it belongs to (targeting-rules.md section 2): NDC -> drug reference;
--                    unknown NDC -> normalised generic_name; neither -> the NDC's first nine digits.
--                    Compounds (NDC 00000000000) are never looked up: by generic_name, else one drug.
--   identity_level   which of those rules found it (reported every run)
--   atc_codes        product-level ATC codes (a combination product has its own code)
--   local_use        a locally used product (nasal, eye, ear, skin, rectal, vaginal): never evidence
--   fill_status      counted (Part D, inside a span) | pending (outside every span) | not_part_d
WITH p AS (SELECT * FROM run_parameters),
fills AS (
    SELECT f.*
    FROM stg_pharmacy_claim AS f, p
    WHERE f.fill_date <= p.as_of_date
),
identified AS (
    SELECT
        f.*,
        CASE
            WHEN f.ndc = '00000000000' THEN coalesce(g.drug_key, 'compound')
            WHEN n.ndc11 IS NOT NULL THEN n.drug_key
            WHEN g.drug_key IS NOT NULL THEN g.drug_key
            ELSE 'ndc9:' || left(f.ndc, 9)
        END AS drug_key,
        CASE
            WHEN f.ndc = '00000000000' THEN 'compound'
            WHEN n.ndc11 IS NOT NULL THEN 'ndc'
            WHEN g.drug_key IS NOT NULL THEN 'generic_name'
            ELSE 'ndc9'
        END AS identity_level,
        nullif(n.atc_code, '') AS product_atc_code,
        coalesce(claim_route.local_use, map_route.local_use, false) AS local_use
    FROM fills AS f
    -- an equality join only (an extra condition here turns DuckDB's hash join into a nested loop)
    LEFT JOIN (SELECT * FROM ref_ndc WHERE ndc11 <> '00000000000') AS n ON n.ndc11 = f.ndc
    LEFT JOIN ref_generic_name AS g ON g.generic_name = f.generic_name
    LEFT JOIN ref_route AS claim_route ON claim_route.route_text = f.route
    LEFT JOIN ref_route AS map_route ON map_route.route_text = lower(n.route)
)
SELECT
    i.claim_id,
    i.member_id,
    i.fill_date,
    i.days_supply,
    i.fill_date + i.days_supply - 1                              AS last_covered_day,
    i.gross_drug_cost,
    i.ndc,
    i.generic_name,
    i.prescriber_npi,
    i.drug_key,
    i.identity_level,
    CASE
        WHEN i.product_atc_code IS NOT NULL THEN [i.product_atc_code]
        WHEN i.identity_level IN ('ndc', 'generic_name', 'compound') THEN coalesce(d.atc_code_list, [])
        ELSE []
    END                                                           AS atc_codes,
    i.local_use,
    -- weight-management GLP-1 product (semaglutide 2.4 mg, tirzepatide for weight or sleep apnoea): not a
    -- diabetes drug for PDC-DR or SUPD (targeting-rules.md section 9). Placeholder until issue 11 supplies
    -- the real product-level flag from the NDC map; the merge takes issue 11's definition.
    false                                                         AS weight_management,
    CASE
        WHEN NOT (i.part_d_covered AND coalesce(i.drug_coverage_status_code, 'C') = 'C') THEN 'not_part_d'
        WHEN c.member_id IS NOT NULL THEN 'counted'
        ELSE 'pending'
    END                                                           AS fill_status
FROM identified AS i
LEFT JOIN ref_drug AS d ON d.drug_key = i.drug_key
-- coverage islands of one member never overlap, so a fill matches at most one
LEFT JOIN core_member_coverage AS c
  ON c.member_id = i.member_id AND i.fill_date BETWEEN c.island_start AND c.island_end
