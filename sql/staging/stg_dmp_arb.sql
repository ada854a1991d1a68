-- At-risk beneficiary spans of the Drug Management Program.
SELECT DISTINCT ON (member_id, arb_start_date, arb_end_date)
    _file, _row, _seq,
    member_id,
    arb_start_date  AS arb_start_date,
    arb_end_date    AS arb_end_date
FROM raw_dmp_arb
WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'dmp_arb')
ORDER BY _seq
