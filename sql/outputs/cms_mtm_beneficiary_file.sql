-- cms_mtm_beneficiary_file (outputs.md): the CMS Part D Reporting Requirements beneficiary-level MTM
-- record, one row per member x contract enrolled in MTM during the contract year (every ledger row of
-- the year up to D), with the values the file needs. Field names, order and date format are declared in
-- pipelines/exports/cms_mtm_fields.csv, where each field's source is documented; the codes in
-- pipelines/reference/data/cms_mtm_codes.csv (ref_cms_mtm_code). pipelines/exports/measures.py writes it.
-- PHI (names, birth date, MBI): this table and the outreach list are the only places it is carried.
WITH p AS (SELECT * FROM run_parameters),
contact AS (
    SELECT e.member_id, e.contract_id,
           arg_max(e.pbp_id, (e.enrollment_start_date, e._seq)) FILTER (WHERE coalesce(e.pbp_id, '') <> '') AS pbp_id,
           arg_max(e.first_name, (e.enrollment_start_date, e._seq)) FILTER (WHERE coalesce(e.first_name, '') <> '') AS first_name,
           arg_max(e.last_name, (e.enrollment_start_date, e._seq)) FILTER (WHERE coalesce(e.last_name, '') <> '') AS last_name
    FROM stg_eligibility AS e
    GROUP BY e.member_id, e.contract_id
),
events AS (
    SELECT l.member_id, l.contract_id,
           min(e.event_date) FILTER (WHERE e.event_type = 'cmr_offered' AND e.event_date >= l.mtm_enrollment_date) AS cmr_offer_date,
           count(*) FILTER (WHERE e.event_type = 'cmr_completed')                            AS cmr_count,
           string_agg(strftime(e.event_date, '%Y-%m-%d'), ';' ORDER BY e.event_date)
               FILTER (WHERE e.event_type = 'cmr_completed')                                 AS cmr_dates_iso,
           min(e.event_date) FILTER (WHERE e.event_type = 'cmr_completed')                    AS first_cmr_date,
           arg_min(e.delivery_method, (e.event_date, e._seq)) FILTER (WHERE e.event_type = 'cmr_completed') AS delivery_method,
           arg_min(e.provider_type, (e.event_date, e._seq)) FILTER (WHERE e.event_type = 'cmr_completed')   AS provider_type,
           arg_min(e.recipient, (e.event_date, e._seq)) FILTER (WHERE e.event_type = 'cmr_completed')       AS recipient,
           count(*) FILTER (WHERE e.event_type = 'tmr_completed')                            AS tmr_count,
           count(*) FILTER (WHERE e.event_type = 'dtp_recommendation')                       AS dtp_recommendations,
           count(*) FILTER (WHERE e.event_type = 'dtp_resolved')                             AS dtp_resolutions,
           min(e.event_date) FILTER (WHERE e.event_type = 'safe_disposal_info')               AS safe_disposal_date,
           bool_or(e.cognitively_impaired)                                                   AS cognitively_impaired
    FROM tgt_mtm_enrollment AS l
    JOIN tgt_mtm_event AS e ON e.member_id = l.member_id AND e.contract_id = l.contract_id
    GROUP BY l.member_id, l.contract_id
),
summary AS (
    SELECT v.member_id, v.contract_id, min(e.event_date) AS written_summary_date
    FROM events AS v
    JOIN tgt_mtm_event AS e ON e.member_id = v.member_id AND e.contract_id = v.contract_id
    WHERE e.event_type = 'summary_sent' AND e.event_date >= v.first_cmr_date
    GROUP BY v.member_id, v.contract_id
)
SELECT
    l.contract_id,
    k.pbp_id,
    m.mbi,
    k.first_name,
    k.last_name,
    m.birth_date,
    m.ltc_resident,
    v.cognitively_impaired,
    l.mtm_enrollment_date,
    l.date_met_criteria,
    CASE WHEN c.targeting_reason IN ('01', '02', '03') THEN c.targeting_reason END          AS targeting_reason,
    l.opt_out_date,
    oc.code                                                                                AS opt_out_reason_code,
    v.cmr_offer_date IS NOT NULL                                                           AS cmr_offered,
    v.cmr_offer_date,
    coalesce(v.cmr_count, 0) > 0                                                           AS cmr_received,
    coalesce(v.cmr_count, 0)::INTEGER                                                      AS cmr_count,
    v.cmr_dates_iso                                                                        AS cmr_dates,
    dc.code                                                                                AS cmr_delivery_method,
    pc.code                                                                                AS cmr_provider,
    rc.code                                                                                AS cmr_recipient,
    s.written_summary_date,
    coalesce(v.tmr_count, 0)::INTEGER                                                      AS tmr_count,
    coalesce(v.dtp_recommendations, 0)::INTEGER                                            AS dtp_recommendations,
    coalesce(v.dtp_resolutions, 0)::INTEGER                                                AS dtp_resolutions,
    v.safe_disposal_date IS NOT NULL                                                       AS safe_disposal_info,
    v.safe_disposal_date,
    l.member_id,
    p.contract_year
FROM tgt_mtm_enrollment AS l
CROSS JOIN p
JOIN core_member AS m ON m.member_id = l.member_id
LEFT JOIN contact AS k ON k.member_id = l.member_id AND k.contract_id = l.contract_id
LEFT JOIN events AS v ON v.member_id = l.member_id AND v.contract_id = l.contract_id
LEFT JOIN summary AS s ON s.member_id = l.member_id AND s.contract_id = l.contract_id
LEFT JOIN tgt_member_criteria AS c ON c.member_id = l.member_id AND c.contract_id = l.contract_id
LEFT JOIN ref_cms_mtm_code AS oc ON oc.field = 'opt_out_reason_code' AND oc.value = l.opt_out_reason
LEFT JOIN ref_cms_mtm_code AS dc ON dc.field = 'cmr_delivery_method' AND dc.value = v.delivery_method
LEFT JOIN ref_cms_mtm_code AS pc ON pc.field = 'cmr_provider' AND pc.value = v.provider_type
LEFT JOIN ref_cms_mtm_code AS rc ON rc.field = 'cmr_recipient' AND rc.value = v.recipient
ORDER BY l.contract_id, l.member_id
