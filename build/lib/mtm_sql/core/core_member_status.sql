-- Member statuses in effect on the as-of date. Where the member_status file was delivered it is the
-- only source (input-contract.md); otherwise the eligibility booleans of the spans covering the date.
WITH p AS (SELECT * FROM run_parameters),
from_status_file AS (
    SELECT s.member_id, s.status
    FROM stg_member_status AS s, p
    WHERE p.member_status_delivered
      AND s.status_start_date <= p.as_of_date
      AND coalesce(s.status_end_date, DATE '9999-12-31') >= p.as_of_date
),
from_eligibility AS (
    SELECT e.member_id, flag.status
    FROM stg_eligibility AS e, p,
         (VALUES ('hospice'), ('ltc_resident'), ('esrd'), ('lis')) AS flag(status)
    WHERE NOT p.member_status_delivered
      AND e.enrollment_start_date <= p.as_of_date
      AND coalesce(e.enrollment_end_date, DATE '9999-12-31') >= p.as_of_date
      AND CASE flag.status
              WHEN 'hospice' THEN e.hospice
              WHEN 'ltc_resident' THEN e.ltc_resident
              WHEN 'esrd' THEN e.esrd
              WHEN 'lis' THEN e.lis
          END
)
SELECT DISTINCT member_id, status FROM from_status_file
UNION
SELECT DISTINCT member_id, status FROM from_eligibility
