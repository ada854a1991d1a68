-- ESRD from the member's Medicare ESRD status on the as-of date (eligibility or member_status).
SELECT
    m.member_id,
    'esrd'               AS core_condition,
    'eligibility'        AS source,
    p.as_of_date         AS first_evidence_date,
    p.as_of_date         AS last_evidence_date,
    1                    AS evidence_count
FROM core_member AS m, run_parameters AS p
WHERE m.esrd
