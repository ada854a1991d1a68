-- At-risk beneficiaries (Drug Management Program) whose ARB span covers D.
SELECT DISTINCT a.member_id
FROM stg_dmp_arb AS a, run_parameters AS p
WHERE a.arb_start_date <= p.as_of_date
  AND coalesce(a.arb_end_date, DATE '9999-12-31') >= p.as_of_date
