-- qm_dtp: the drug therapy problems (DTPs) of the contract year up to D, one row per problem, followed to its
-- prescriber's answer and its resolution (input-contract.md mtm_event 2026-12-07: dtp_id ties the events of one
-- problem; outputs.md CMS record: "number of DTP recommendations to prescribers; number of DTP resolutions
-- resulting from them"; targeting-rules.md section 9 program counts; docs/rules/cmr-workspace.md).
--   dtp_key             the dtp_id; an event without one (an extract from before 2026-12-07) is a problem of its
--                       own ('event-' || _seq): each such dtp_recommendation is one recommendation, as before
--   recommended_on      the first dtp_recommendation of the problem (repeats of one dtp_id count once);
--                       NULL for a legacy dtp_resolved without a dtp_id (counted as a resolution, as before)
--   prescriber_response the prescriber's latest answer (prescriber_response or dtp_resolved events with a value),
--   response_date       dated on or after the recommendation
--   resolved_on         the first dtp_resolved of the problem on or after its recommendation; a dtp_resolved
--                       whose dtp_id has no recommendation of the contract and year resulted from none: not here
--   days_to_resolution  resolved_on - recommended_on
-- Events are those of tgt_mtm_event (the contract year, attributed to a contract; held events are absent).
WITH e AS (
    SELECT * FROM tgt_mtm_event
    WHERE event_type IN ('dtp_recommendation', 'prescriber_response', 'dtp_resolved')
),
recommendation AS (
    SELECT member_id, contract_id, coalesce(dtp_id, 'event-' || _seq)  AS dtp_key,
           any_value(dtp_id)                                           AS dtp_id,
           min(event_date)                                             AS recommended_on,
           arg_min(dtp_type, (event_date, _seq)) FILTER (WHERE dtp_type IS NOT NULL)             AS dtp_type,
           arg_min(drug_key, (event_date, _seq)) FILTER (WHERE drug_key IS NOT NULL)             AS drug_key,
           arg_min(prescriber_npi, (event_date, _seq)) FILTER (WHERE prescriber_npi IS NOT NULL) AS prescriber_npi
    FROM e
    WHERE event_type = 'dtp_recommendation'
    GROUP BY member_id, contract_id, coalesce(dtp_id, 'event-' || _seq)
),
followed AS (
    SELECT r.member_id, r.contract_id, r.dtp_key,
           arg_max(x.prescriber_response, (x.event_date, x._seq))
               FILTER (WHERE x.prescriber_response IS NOT NULL)                        AS prescriber_response,
           max(x.event_date) FILTER (WHERE x.prescriber_response IS NOT NULL)          AS response_date,
           min(x.event_date) FILTER (WHERE x.event_type = 'dtp_resolved')             AS resolved_on
    FROM recommendation AS r
    JOIN e AS x
      ON x.member_id = r.member_id AND x.contract_id = r.contract_id AND x.dtp_id = r.dtp_id
     AND x.event_type IN ('prescriber_response', 'dtp_resolved') AND x.event_date >= r.recommended_on
    GROUP BY r.member_id, r.contract_id, r.dtp_key
)
SELECT r.member_id, r.contract_id, r.dtp_key, r.dtp_id, coalesce(r.dtp_type, 'unspecified') AS dtp_type,
       r.drug_key, r.prescriber_npi, r.recommended_on, f.prescriber_response, f.response_date, f.resolved_on,
       (f.resolved_on - r.recommended_on)::INTEGER                                 AS days_to_resolution
FROM recommendation AS r
LEFT JOIN followed AS f USING (member_id, contract_id, dtp_key)
UNION ALL
SELECT member_id, contract_id, 'event-' || _seq, NULL, 'unspecified', drug_key, prescriber_npi, NULL,
       prescriber_response, NULL, event_date, NULL
FROM e
WHERE event_type = 'dtp_resolved' AND dtp_id IS NULL
ORDER BY contract_id, member_id, dtp_key
