-- member_drugs: the draft Personal Medication List for the pharmacist — one row per enrolled member
-- and active drug, with its ingredient(s), class, last fill, days supply, prescriber, maintenance flag.
SELECT
    a.member_id,
    m.contract_id,
    a.drug_key                        AS ingredients,
    a.drug_class,
    a.maintenance,
    a.last_fill_date,
    a.last_days_supply                AS days_supply,
    a.last_prescriber_npi             AS prescriber_npi,
    a.fills_in_window
FROM core_active_drug AS a
JOIN core_member AS m ON m.member_id = a.member_id AND m.enrolled
ORDER BY a.member_id, a.drug_key
