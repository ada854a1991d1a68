-- MTM service events recorded by the service team, typed; exact duplicate rows kept once.
SELECT DISTINCT ON (member_id, event_date, event_type, contract_id, channel, outcome, delivery_method, recipient,
                    provider_type, opt_out_reason, cognitively_impaired, dtp_id, dtp_type, drug_key,
                    prescriber_npi, prescriber_response)
    _file, _row, _seq,
    member_id,
    event_date              AS event_date,
    lower(event_type)                   AS event_type,
    nullif(upper(trim(contract_id)), '') AS contract_id,
    lower(channel)                      AS channel,
    lower(outcome)                      AS outcome,
    lower(delivery_method)              AS delivery_method,
    lower(recipient)                    AS recipient,
    lower(provider_type)                AS provider_type,
    lower(opt_out_reason)               AS opt_out_reason,
    cognitively_impaired    AS cognitively_impaired,
    nullif(trim(dtp_id), '')            AS dtp_id,
    lower(dtp_type)                     AS dtp_type,
    nullif(trim(drug_key), '')          AS drug_key,
    nullif(trim(prescriber_npi), '')    AS prescriber_npi,
    lower(prescriber_response)          AS prescriber_response
FROM raw_mtm_event
WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = 'mtm_event')
ORDER BY _seq
