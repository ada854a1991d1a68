-- Contact details of every member for the outreach files (outreach_list, tmr_worklist): PHI, read only by
-- those two files, which take this block whole, in this order (pipelines/publishing/output_contract.py
-- CONTACT_COLUMNS, then MAILING_COLUMNS, which only outreach_list carries). Name, phone and mailing
-- address come from the member's eligibility span at D, falling back to the latest span that has them
-- (the rule of decision 17); mbi, birth date, age and preferred language as core_member gives them.
WITH p AS (SELECT * FROM run_parameters),
ranked AS (
    SELECT e.*,
           (p.as_of_date BETWEEN e.enrollment_start_date AND coalesce(e.enrollment_end_date, DATE '9999-12-31'),
            e.enrollment_start_date, e._seq) AS span_rank
    FROM stg_eligibility AS e
    CROSS JOIN p
)
SELECT
    r.member_id,
    any_value(m.mbi)                                                                              AS mbi,
    arg_max(r.first_name, r.span_rank) FILTER (WHERE coalesce(r.first_name, '') <> '')            AS first_name,
    arg_max(r.last_name, r.span_rank) FILTER (WHERE coalesce(r.last_name, '') <> '')              AS last_name,
    any_value(m.birth_date)                                                                       AS birth_date,
    any_value(m.age)::INTEGER                                                                     AS age,
    arg_max(r.phone, r.span_rank) FILTER (WHERE coalesce(r.phone, '') <> '')                      AS phone,
    any_value(m.preferred_language)                                                               AS preferred_language,
    arg_max(r.address_line, r.span_rank) FILTER (WHERE coalesce(r.address_line, '') <> '')        AS address_line,
    arg_max(r.city, r.span_rank) FILTER (WHERE coalesce(r.city, '') <> '')                        AS city,
    arg_max(r.state, r.span_rank) FILTER (WHERE coalesce(r.state, '') <> '')                      AS state,
    arg_max(r.zip_code, r.span_rank) FILTER (WHERE coalesce(r.zip_code, '') <> '')                AS zip_code
FROM ranked AS r
LEFT JOIN core_member AS m ON m.member_id = r.member_id
GROUP BY r.member_id
