-- GLP-1 products marketed for weight management (semaglutide 2.4 mg Wegovy, tirzepatide Zepbound for
-- weight or sleep apnoea, liraglutide 3 mg Saxenda), by product NDC9. targeting-rules.md section 9: the
-- quality measures do not count them as diabetes drugs (PDC-DR, SUPD). A product is one when it is
-- listed in weight_management_products.csv or the FDA-derived map flags it (proprietary name, so
-- repackagers of those brands are included).
SELECT product_ndc9 FROM seed_weight_management_products
UNION
SELECT DISTINCT left(ndc11, 9) FROM seed_fda_ndc_map WHERE weight_management
