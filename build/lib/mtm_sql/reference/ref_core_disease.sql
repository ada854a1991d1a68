-- The core chronic diseases (targeting-rules.md section 4): ten from CY2025, nine before (HIV/AIDS was added
-- in 2025), in the order of the member_summary columns. Every list of diseases is read from here.
SELECT
    core_condition,
    CAST(display_order AS INTEGER)        AS display_order,
    CAST(first_contract_year AS INTEGER)  AS first_contract_year,
    label
FROM seed_core_diseases
