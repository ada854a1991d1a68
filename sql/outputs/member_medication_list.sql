-- member_medication_list: the draft Personal Medication List laid out like the medication list of the
-- CMS Standardized Format (portal member page): one row per enrolled member x active drug (core_active_drug)
-- with what the last fill tells of how it is taken -- the product as dispensed (drug_name, else the
-- ingredients), route, quantity and days supply, and the units per day they imply -- the prescriber
-- NPI and the last fill date. The pharmacist completes "how I use it" and "why I use it" with the
-- member during the CMR. Member ids only, no PHI.
-- Each detail is the one of the latest counted fill (by fill date, then claim id) that has it: usually the
-- last fill itself, so the claim details are looked up for that one fill per listed drug (issue 27), and the
-- drug's other fills are read only where the last fill lacks one (a route or generic name not given).
WITH listed AS (  -- an enrolled member's active drugs
    SELECT a.member_id, a.drug_key
    FROM core_active_drug AS a
    JOIN core_member AS m ON m.member_id = a.member_id AND m.enrolled
),
listed_fill AS (  -- all their counted fills
    SELECT f.member_id, f.drug_key, f.fill_date, f.claim_id
    FROM core_fill AS f
    SEMI JOIN listed AS l ON l.member_id = f.member_id AND l.drug_key = f.drug_key
    WHERE f.fill_status = 'counted'
),
last_fill AS (
    SELECT member_id, drug_key, arg_max(claim_id, (fill_date, claim_id)) AS claim_id
    FROM listed_fill
    GROUP BY member_id, drug_key
),
last_detail AS (
    SELECT l.member_id, l.drug_key, c.drug_name, c.generic_name, c.route, c.quantity
    FROM last_fill AS l
    JOIN stg_pharmacy_claim AS c ON c.claim_id = l.claim_id
),
complete AS (
    SELECT * FROM last_detail
    WHERE drug_name IS NOT NULL AND generic_name IS NOT NULL AND route IS NOT NULL AND quantity IS NOT NULL
),
earlier AS (  -- a detail the last fill lacks: from the latest fill that has it
    SELECT f.member_id, f.drug_key,
           arg_max(c.drug_name, (f.fill_date, f.claim_id))    AS drug_name,
           arg_max(c.generic_name, (f.fill_date, f.claim_id)) AS generic_name,
           arg_max(c.route, (f.fill_date, f.claim_id))        AS route,
           arg_max(c.quantity, (f.fill_date, f.claim_id))     AS quantity
    FROM listed_fill AS f
    SEMI JOIN last_detail AS l
      ON l.member_id = f.member_id AND l.drug_key = f.drug_key
     AND (l.drug_name IS NULL OR l.generic_name IS NULL OR l.route IS NULL OR l.quantity IS NULL)
    JOIN stg_pharmacy_claim AS c ON c.claim_id = f.claim_id
    GROUP BY f.member_id, f.drug_key
),
detail AS (
    SELECT * FROM complete
    UNION ALL
    SELECT * FROM earlier
)
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
LEFT JOIN detail AS s ON s.member_id = a.member_id AND s.drug_key = a.drug_key
ORDER BY a.member_id, a.drug_key
