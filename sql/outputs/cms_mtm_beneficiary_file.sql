-- cms_mtm_beneficiary_file (outputs.md, "CMS beneficiary-level MTM record"): one row per member x contract
-- enrolled in MTM during the contract year (every ledger row of the year up to D) that has an MBI in the CMS
-- format; members without one are not written with blanks but listed in cms_mtm_problems. Field names,
-- order, requirements and date formats are declared in pipelines/publishing/exports/cms_mtm_fields.csv (each field's
-- source said there); codes in pipelines/reference/data/cms_mtm_codes.csv (ref_cms_mtm_code, each with its
-- source and whether it is confirmed). pipelines/publishing/exports/measures.py writes one file per contract and the
-- validation report (every row that would fail a CMS edit).
-- Readings (outputs.md, targeting-rules.md sections 6 and 9):
--   * the targeting reason and the date met the criteria are those recorded in the ledger at enrollment;
--   * "received an annual CMR" = a cmr_completed event of the contract and year with a written summary
--     (summary_sent on or after the CMR date); the CMR count, dates, delivery method, provider and recipient
--     are those of such CMRs (a CMR still waiting for its summary is reported by the validation, not here);
--   * an offer is implied by a completion: offered = a cmr_offered or cmr_completed event (with or without
--     its summary); the offer date is the earliest of the first offer and the first completed CMR;
--   * DTP recommendations and the resolutions resulting from them are the problems of qm_dtp (one per dtp_id:
--     a repeated event of one problem counts once; a resolution counts when it follows a recommendation of
--     the contract and year, or is a legacy dtp_resolved without a dtp_id; issue 29).
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
ledger_events AS (
    SELECT l.member_id, l.contract_id, e.*  EXCLUDE (member_id, contract_id)
    FROM tgt_mtm_enrollment AS l
    JOIN tgt_mtm_event AS e ON e.member_id = l.member_id AND e.contract_id = l.contract_id
),
cmr_day_summary AS (  -- per member x contract x CMR day, the first written summary sent on or after it
    SELECT c.member_id, c.contract_id, c.cmr_date, min(s.event_date) AS summary_date
    FROM (SELECT DISTINCT member_id, contract_id, event_date AS cmr_date
          FROM ledger_events WHERE event_type = 'cmr_completed') AS c
    JOIN ledger_events AS s
      ON s.member_id = c.member_id AND s.contract_id = c.contract_id
     AND s.event_type = 'summary_sent' AND s.event_date >= c.cmr_date
    GROUP BY c.member_id, c.contract_id, c.cmr_date
),
cmr AS (  -- each completed CMR with the first written summary sent for it (a join, not a correlated lookup:
          -- docs/rules/spark.md rule 15)
    SELECT c.member_id, c.contract_id, c.event_date AS cmr_date, c._seq, c.delivery_method, c.provider_type,
           c.recipient, d.summary_date
    FROM ledger_events AS c
    LEFT JOIN cmr_day_summary AS d
           ON d.member_id = c.member_id AND d.contract_id = c.contract_id AND d.cmr_date = c.event_date
    WHERE c.event_type = 'cmr_completed'
),
received AS (
    SELECT member_id, contract_id,
           count(*)                                                              AS cmr_count,
           string_agg(strftime(cmr_date, '%Y-%m-%d'), ';' ORDER BY cmr_date, _seq) AS cmr_dates_iso,
           min(cmr_date)                                                         AS first_cmr_date,
           arg_min(delivery_method, (cmr_date, _seq))                            AS delivery_method,
           arg_min(provider_type, (cmr_date, _seq))                              AS provider_type,
           arg_min(recipient, (cmr_date, _seq))                                  AS recipient,
           arg_min(summary_date, (cmr_date, _seq))                               AS written_summary_date
    FROM cmr
    WHERE summary_date IS NOT NULL
    GROUP BY member_id, contract_id
),
events AS (
    SELECT member_id, contract_id,
           min(event_date) FILTER (WHERE event_type = 'cmr_offered')        AS first_offer_date,
           min(event_date) FILTER (WHERE event_type = 'cmr_completed')      AS first_completion_date,
           count(*) FILTER (WHERE event_type = 'tmr_completed')             AS tmr_count,
           min(event_date) FILTER (WHERE event_type = 'safe_disposal_info') AS safe_disposal_date,
           bool_or(cognitively_impaired)                                    AS cognitively_impaired
    FROM ledger_events
    GROUP BY member_id, contract_id
),
dtp AS (
    SELECT member_id, contract_id,
           count(recommended_on) AS dtp_recommendations,
           count(resolved_on)    AS dtp_resolutions
    FROM qm_dtp
    GROUP BY member_id, contract_id
)
SELECT
    l.contract_id,
    k.pbp_id,
    mbi_normalised(m.mbi)                                                                  AS mbi,
    k.first_name,
    k.last_name,
    m.birth_date,
    m.ltc_resident,
    v.cognitively_impaired,
    l.mtm_enrollment_date,
    l.date_met_criteria,
    CASE WHEN l.targeting_reason IN ('01', '02', '03') THEN l.targeting_reason END          AS targeting_reason,
    l.opt_out_date,
    oc.code                                                                                AS opt_out_reason_code,
    (v.first_offer_date IS NOT NULL OR v.first_completion_date IS NOT NULL)                AS cmr_offered,
    least(v.first_offer_date, v.first_completion_date)                                     AS cmr_offer_date,
    r.first_cmr_date IS NOT NULL                                                           AS cmr_received,
    coalesce(r.cmr_count, 0)::INTEGER                                                      AS cmr_count,
    r.cmr_dates_iso                                                                        AS cmr_dates,
    r.first_cmr_date,
    dc.code                                                                                AS cmr_delivery_method,
    pc.code                                                                                AS cmr_provider,
    rc.code                                                                                AS cmr_recipient,
    r.written_summary_date,
    coalesce(v.tmr_count, 0)::INTEGER                                                      AS tmr_count,
    coalesce(t.dtp_recommendations, 0)::INTEGER                                            AS dtp_recommendations,
    coalesce(t.dtp_resolutions, 0)::INTEGER                                                AS dtp_resolutions,
    v.safe_disposal_date IS NOT NULL                                                       AS safe_disposal_info,
    v.safe_disposal_date,
    l.member_id,
    p.contract_year,
    l.targeting_reason_source,
    l.enrollment_source
FROM tgt_mtm_enrollment AS l
CROSS JOIN p
JOIN core_member AS m ON m.member_id = l.member_id
LEFT JOIN contact AS k ON k.member_id = l.member_id AND k.contract_id = l.contract_id
LEFT JOIN events AS v ON v.member_id = l.member_id AND v.contract_id = l.contract_id
LEFT JOIN received AS r ON r.member_id = l.member_id AND r.contract_id = l.contract_id
LEFT JOIN dtp AS t ON t.member_id = l.member_id AND t.contract_id = l.contract_id
LEFT JOIN ref_cms_mtm_code AS oc ON oc.field = 'opt_out_reason_code' AND oc.value = l.opt_out_reason
LEFT JOIN ref_cms_mtm_code AS dc ON dc.field = 'cmr_delivery_method' AND dc.value = r.delivery_method
LEFT JOIN ref_cms_mtm_code AS pc ON pc.field = 'cmr_provider' AND pc.value = r.provider_type
LEFT JOIN ref_cms_mtm_code AS rc ON rc.field = 'cmr_recipient' AND rc.value = r.recipient
WHERE is_valid_mbi(m.mbi)
ORDER BY l.contract_id, l.member_id
