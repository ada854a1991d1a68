-- MTM service events recorded by the service team, typed; exact duplicate rows kept once.
SELECT DISTINCT ON (member_id, event_date, event_type, delivery_method, recipient, provider_type,
                    opt_out_reason, cognitively_impaired)
    _file, _row, _seq,
    member_id,
    parse_date(event_date)              AS event_date,
    lower(event_type)                   AS event_type,
    lower(delivery_method)              AS delivery_method,
    lower(recipient)                    AS recipient,
    lower(provider_type)                AS provider_type,
    lower(opt_out_reason)               AS opt_out_reason,
    parse_bool(cognitively_impaired)    AS cognitively_impaired
FROM raw_mtm_event
WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'mtm_event')
ORDER BY _seq
