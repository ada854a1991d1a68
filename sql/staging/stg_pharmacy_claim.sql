-- Prescription fills: one row per fill (claim_id), typed, after the version rule of input-contract.md:
-- the version with the latest processed_at wins (no processed_at sorts first; ties keep row order,
-- last wins); a winning 'reversed' version means the fill does not exist.
-- Only the columns a later model reads are kept (issue 27: every column of this per-fill table is written
-- for every fill): patient and plan paid amounts, the pharmacy NPI, the refill number and processed_at are
-- checked at ingest (rejects) and used by the version rule, but no rule reads them after it.
SELECT
    _file, _row, _seq,
    claim_id,
    member_id,
    fill_date                        AS fill_date,
    ndc,
    days_supply::INTEGER              AS days_supply,
    quantity                       AS quantity,
    gross_drug_cost                AS gross_drug_cost,
    generic_name,
    drug_name,
    prescriber_npi,
    coalesce(part_d_covered, true)   AS part_d_covered,
    upper(drug_coverage_status_code)             AS drug_coverage_status_code,
    lower(route)                                 AS route
FROM current_versions('raw_pharmacy_claim', 'pharmacy_claim')
WHERE coalesce(lower(claim_status), 'paid') <> 'reversed'
