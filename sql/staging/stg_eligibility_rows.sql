-- Eligibility spans that passed the row checks, typed; exact duplicate rows kept once.
SELECT DISTINCT ON (member_id, mbi, contract_id, pbp_id, enrollment_start_date, enrollment_end_date,
                    birth_date, sex, death_date, ltc_resident, hospice, esrd, lis)
    r._file,
    r._row,
    r._seq,
    r.member_id,
    r.mbi,
    upper(r.contract_id)                    AS contract_id,
    r.pbp_id,
    r.enrollment_start_date     AS enrollment_start_date,
    r.enrollment_end_date       AS enrollment_end_date,
    r.birth_date                AS birth_date,
    upper(r.sex)                            AS sex,
    r.death_date                AS death_date,
    r.first_name, r.last_name, r.phone, r.address_line, r.city, r.state, r.zip_code,
    lower(r.preferred_language)             AS preferred_language,
    r.ltc_resident              AS ltc_resident,
    r.hospice                   AS hospice,
    r.esrd                      AS esrd,
    r.lis                       AS lis
FROM raw_eligibility AS r
WHERE r._seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'eligibility')
ORDER BY r._seq
