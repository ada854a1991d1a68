-- The codes of the CMS beneficiary-level MTM file (ResDAC MTM data file values), from the shipped
-- cms_mtm_codes.csv: for each coded field, the pipeline's value -> the CMS code. A plan aligns them with
-- the contract year's technical specifications there (pipelines/reference/data/PROVENANCE.md).
SELECT field, value, code, note FROM seed_cms_mtm_codes
