-- Spans of one member that overlap an earlier span in the same contract are a data error
-- (input-contract.md): the later span (by start date, then row order) is rejected and reported.
SELECT DISTINCT
    later._file, later._row, later._seq, later.member_id, later.contract_id,
    earlier._file AS overlaps_file, earlier._row AS overlaps_row
FROM stg_eligibility_rows AS later
JOIN stg_eligibility_rows AS earlier
  ON earlier.member_id = later.member_id
 AND earlier.contract_id = later.contract_id
 AND (earlier.enrollment_start_date, earlier._seq) < (later.enrollment_start_date, later._seq)
 AND earlier.enrollment_start_date <= coalesce(later.enrollment_end_date, DATE '9999-12-31')
 AND later.enrollment_start_date <= coalesce(earlier.enrollment_end_date, DATE '9999-12-31')
QUALIFY row_number() OVER (PARTITION BY later._seq ORDER BY earlier._seq) = 1
