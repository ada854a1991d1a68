-- cms_mtm_problems (outputs.md, "CMS beneficiary-level MTM record"; issue 25 item 4b): the MTM enrollees of
-- the contract year (ledger rows up to D) that the CMS beneficiary-level file leaves out, because CMS
-- identifies a beneficiary by MBI: no MBI in the eligibility file, or one that is not in the CMS format
-- (is_valid_mbi, sql/_macros.sql). Written to cms_mtm_problems.csv in the run folder and counted in the run
-- manifest; member ids only (no MBI, name or birth date: this list goes where PHI does not).
SELECT
    l.contract_id,
    l.member_id,
    CASE WHEN mbi_normalised(m.mbi) IS NULL THEN 'no_mbi' ELSE 'invalid_mbi' END AS problem,
    CASE WHEN mbi_normalised(m.mbi) IS NULL
         THEN 'no MBI in the eligibility file: left out of the CMS beneficiary-level file'
         ELSE 'the MBI is not in the CMS format (11 characters, 1 C A N C A N C C N N): left out of the CMS '
              || 'beneficiary-level file'
    END                                                                       AS reason,
    l.mtm_enrollment_date,
    l.enrollment_source
FROM tgt_mtm_enrollment AS l
JOIN core_member AS m ON m.member_id = l.member_id
WHERE NOT is_valid_mbi(m.mbi)
ORDER BY l.contract_id, l.member_id
