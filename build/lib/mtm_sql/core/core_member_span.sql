-- Part D coverage spans of each member, in any contract. An open span (no end date) runs on.
SELECT
    member_id,
    contract_id,
    pbp_id,
    enrollment_start_date                                  AS span_start,
    coalesce(enrollment_end_date, DATE '9999-12-31')       AS span_end,
    _seq
FROM stg_eligibility
