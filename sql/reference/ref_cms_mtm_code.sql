-- The codes of the CMS beneficiary-level MTM file (ResDAC MTM data file values), from the shipped
-- cms_mtm_codes.csv: for each coded field, the pipeline's value -> the CMS code, with the code's source and
-- whether it is confirmed (outputs.md, "CMS beneficiary-level MTM record": targeting reason, opt-out reason
-- and CMR delivery method are confirmed; provider type and recipient are the project's reading, to verify
-- against the CY technical specifications). A plan aligns them there (pipelines/reference/data/PROVENANCE.md).
SELECT field, value, code, note, source, parse_bool(confirmed) AS confirmed FROM seed_cms_mtm_codes
