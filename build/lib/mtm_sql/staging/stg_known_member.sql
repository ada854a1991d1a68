-- Members known to the extract (input-contract.md "Members, spans and claims"): every member id of the
-- eligibility file (even of a row that is itself rejected), plus members a source adapter knows without a
-- Part D span (a DE-SynPUF beneficiary with 0 Part D months). Claims of anyone else are rejected.
SELECT member_id FROM raw_eligibility WHERE member_id IS NOT NULL
UNION
SELECT member_id FROM raw_known_member WHERE member_id IS NOT NULL
