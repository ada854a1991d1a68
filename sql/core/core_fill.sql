-- Every current fill of a known member dated on or before D, with what it is (the identity columns are
-- found once per NDC x generic_name x route text in core_fill_product; the generic name itself is not
-- repeated here: no reader needs it per fill, issue 27):
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
--                    evidence of a condition (section 2)
--   systemic         counts as systemic exposure for risk signals and quality measures (sections 8, 9):
--                    by the product's ATC (core_fill_product)
--   weight_management  a GLP-1 product marketed for weight management (section 9: not a diabetes drug
--                    for the quality measures); false when unknown
--   fill_status      counted (Part D, inside a span) | pending (outside every span) | not_part_d
WITH fills AS (
    SELECT f.*
    FROM stg_pharmacy_claim AS f
    WHERE f.fill_date <= (SELECT as_of_date FROM run_parameters)
)
SELECT
    f.claim_id,
    f.member_id,
    f.fill_date,
    f.days_supply,
    f.fill_date + f.days_supply - 1                              AS last_covered_day,
    f.gross_drug_cost,
    f.ndc,
    f.prescriber_npi,
    i.drug_key,
    i.identity_level,
    i.ndc_map,
    i.atc_codes,
    i.route,
    i.local_use,
    i.systemic,
    i.weight_management,
    CASE
        WHEN NOT (f.part_d_covered AND coalesce(f.drug_coverage_status_code, 'C') = 'C') THEN 'not_part_d'
        WHEN c.member_id IS NOT NULL THEN 'counted'
        ELSE 'pending'
    END                                                           AS fill_status
FROM fills AS f
-- the fill's identity (core_fill_product: one row per ndc x generic_name x route text)
JOIN core_fill_product AS i
  ON i.ndc IS NOT DISTINCT FROM f.ndc
 AND i.generic_name IS NOT DISTINCT FROM f.generic_name
 AND i.route_text IS NOT DISTINCT FROM f.route
-- coverage islands of one member never overlap, so a fill matches at most one
LEFT JOIN core_member_coverage AS c
  ON c.member_id = f.member_id AND f.fill_date BETWEEN c.island_start AND c.island_end
