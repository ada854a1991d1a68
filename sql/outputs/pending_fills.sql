-- pending_fills: fills of known members dated outside every Part D span (input-contract.md: held, not
-- counted: core_fill's fill_status 'pending'), as pending_fills.csv publishes them and the run manifest
-- counts them. A small table of its own, so that the file and the count read it and not the per-fill
-- core_fill (issue 27), and an analyst follows pending_fills.csv to this model in the lineage.
SELECT claim_id, member_id, fill_date, ndc, drug_key
FROM core_fill
WHERE fill_status = 'pending'
