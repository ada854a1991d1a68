-- member_medication_list: the draft Personal Medication List laid out like the medication list of the
-- CMS Standardized Format (portal member page): one row per enrolled member x active drug (core_active_drug)
-- with what the last fill tells of how it is taken -- the product as dispensed (drug_name, else the
-- ingredients), route, quantity and days supply, and the units per day they imply -- the prescriber
-- NPI and the last fill date. The pharmacist completes "how I use it" and "why I use it" with the
-- member during the CMR. Member ids only, no PHI.
SELECT
    a.member_id,
    m.contract_id,
    a.drug_key                                             AS ingredients,
    coalesce(s.drug_name, s.generic_name, a.drug_key)      AS medication,
    a.drug_class,
    s.route,
    s.quantity                                             AS last_quantity,
    a.last_days_supply                                     AS days_supply,
    CASE WHEN s.quantity > 0 AND a.last_days_supply > 0
         THEN round(s.quantity / a.last_days_supply, 2) END AS units_per_day,
    a.last_prescriber_npi                                  AS prescriber_npi,
    a.last_fill_date,
    a.maintenance
FROM core_active_drug AS a
JOIN core_member AS m ON m.member_id = a.member_id AND m.enrolled
LEFT JOIN (
    SELECT f.member_id, f.drug_key,
           arg_max(c.drug_name, (f.fill_date, f.claim_id))    AS drug_name,
           arg_max(c.generic_name, (f.fill_date, f.claim_id)) AS generic_name,
           arg_max(c.route, (f.fill_date, f.claim_id))        AS route,
           arg_max(c.quantity, (f.fill_date, f.claim_id))     AS quantity
    FROM core_active_drug AS a
    JOIN core_member AS m ON m.member_id = a.member_id AND m.enrolled
    -- the fills of the listed drugs only (an enrolled member's active drugs), all their counted fills
    JOIN core_fill AS f ON f.member_id = a.member_id AND f.drug_key = a.drug_key
    JOIN stg_pharmacy_claim AS c ON c.claim_id = f.claim_id
    WHERE f.fill_status = 'counted'
    GROUP BY f.member_id, f.drug_key
) AS s ON s.member_id = a.member_id AND s.drug_key = a.drug_key
ORDER BY a.member_id, a.drug_key
