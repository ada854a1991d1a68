-- One row per known product (labeler + product code = an NDC11's first nine digits) with its identity,
-- for the product fallback of drug identity: an NDC11 found in no map whose product is known takes the
-- product's ingredients, route and form (identity level `ndc_product`, before `generic_name` and `ndc9`).
-- Ingredients, route and form are product-level facts in the FDA NDC Directory, so a new package size
-- of a known product is the same drug.
-- A product seen in several maps takes the row of the map of highest precedence (as ref_ndc_identity);
-- within one map the ingredient set of most packages. The GLP-1 weight-management products newer than
-- the FDA snapshot (weight_management_products.csv) come last.
WITH candidate AS (
    SELECT left(ndc11, 9) AS product_ndc9, drug_key, route, dosage_form, atc_code, ndc_map,
           count(*) AS packages
    FROM ref_ndc_identity
    GROUP BY ALL
    UNION ALL
    SELECT product_ndc9, drug_key, route, dosage_form, NULL, 'weight_management_products', 0
    FROM seed_weight_management_products
)
SELECT product_ndc9, drug_key, route, dosage_form, atc_code, ndc_map
FROM candidate
QUALIFY row_number() OVER (
    PARTITION BY product_ndc9
    ORDER BY CASE ndc_map WHEN 'plan_import' THEN 1 WHEN 'curated' THEN 2
                          WHEN 'fda_ndc_directory' THEN 3 ELSE 4 END,
             packages DESC, drug_key, route, dosage_form, atc_code
) = 1
