-- Dated member statuses (hospice, LTC residence, ESRD, LIS) as the plan's MARx/MMR data say.
SELECT DISTINCT ON (member_id, status, status_start_date, status_end_date)
    _file, _row, _seq,
    member_id,
    lower(status)                   AS status,
    status_start_date   AS status_start_date,
    status_end_date     AS status_end_date
FROM raw_member_status
WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'member_status')
ORDER BY _seq
