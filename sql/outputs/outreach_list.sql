-- outreach_list: one row per member x service due (outputs.md), what outreach staff call from. The only
-- output besides the CMS beneficiary file that carries names, phone numbers and birth dates (PHI).
-- Contact details come from the member's eligibility span at D, each field falling back to the latest
-- span that has it. reasons = counts, DMP status and risk signals in words, then the service and its
-- due date, e.g. "9 Part D drugs, 4 chronic conditions, projected cost $5,200/yr, opioid +
-- benzodiazepine 45 days; initial CMR offer due 2025-11-29".
WITH p AS (SELECT * FROM run_parameters),
contact AS (
    SELECT
        e.member_id,
        arg_max(e.first_name, (p.as_of_date BETWEEN e.enrollment_start_date
                               AND coalesce(e.enrollment_end_date, DATE '9999-12-31'), e.enrollment_start_date, e._seq))
            FILTER (WHERE e.first_name IS NOT NULL AND e.first_name <> '') AS first_name,
        arg_max(e.last_name, (p.as_of_date BETWEEN e.enrollment_start_date
                              AND coalesce(e.enrollment_end_date, DATE '9999-12-31'), e.enrollment_start_date, e._seq))
            FILTER (WHERE e.last_name IS NOT NULL AND e.last_name <> '') AS last_name,
        arg_max(e.phone, (p.as_of_date BETWEEN e.enrollment_start_date
                          AND coalesce(e.enrollment_end_date, DATE '9999-12-31'), e.enrollment_start_date, e._seq))
            FILTER (WHERE e.phone IS NOT NULL AND e.phone <> '') AS phone,
        arg_max(e.zip_code, (p.as_of_date BETWEEN e.enrollment_start_date
                             AND coalesce(e.enrollment_end_date, DATE '9999-12-31'), e.enrollment_start_date, e._seq))
            FILTER (WHERE e.zip_code IS NOT NULL AND e.zip_code <> '') AS zip_code
    FROM stg_eligibility AS e
    CROSS JOIN p
    GROUP BY e.member_id
),
signal_words AS (
    SELECT member_id,
           string_agg(detail, ', ' ORDER BY CASE signal
               WHEN 'opioid_benzodiazepine' THEN 1 WHEN 'cns_polypharmacy' THEN 2
               WHEN 'anticholinergic_burden' THEN 3 WHEN 'high_risk_elderly' THEN 4
               WHEN 'duplicate_therapy' THEN 5 ELSE 6 END, signal_group) AS words
    FROM tgt_risk_signal
    GROUP BY member_id
),
flags AS (SELECT member_id, risk_flags FROM tgt_member_priority)
SELECT
    s.contract_id,
    s.pbp_id,
    s.service,
    s.priority_rank::INTEGER                                             AS priority_rank,
    s.priority_score,
    s.due_date,
    s.days_until_due::INTEGER                                            AS days_until_due,
    s.member_id,
    k.first_name,
    k.last_name,
    m.birth_date,
    s.age::INTEGER                                                       AS age,
    k.phone,
    m.preferred_language,
    k.zip_code,
    s.contact_note,
    concat_ws(', ',
        s.part_d_drugs || ' Part D drug' || CASE WHEN s.part_d_drugs = 1 THEN '' ELSE 's' END,
        s.core_conditions || ' chronic condition' || CASE WHEN s.core_conditions = 1 THEN '' ELSE 's' END,
        'projected cost $' || format('{:,}', CAST(round(s.projected_annual_cost, 0) AS BIGINT)) || '/yr',
        CASE WHEN s.arb THEN 'drug management program at-risk beneficiary' END,
        w.words
    ) || '; ' ||
    CASE s.service
        WHEN 'cmr_initial' THEN 'initial CMR offer due ' || strftime(s.due_date, '%Y-%m-%d')
        WHEN 'cmr_annual' THEN 'annual CMR offer due ' || strftime(s.due_date, '%Y-%m-%d')
        WHEN 'cmr_follow_up' THEN 'CMR offered ' || strftime(s.offer_date, '%Y-%m-%d')
                                  || ', not completed: follow-up due ' || strftime(s.due_date, '%Y-%m-%d')
        ELSE 'quarterly TMR due ' || strftime(s.due_date, '%Y-%m-%d')
    END ||
    CASE WHEN s.due_date < p.as_of_date THEN ' (overdue)' ELSE '' END ||
    CASE WHEN s.hospice THEN ' (in hospice)' ELSE '' END                 AS reasons,
    s.part_d_drugs::INTEGER                                              AS part_d_drugs,
    s.core_conditions::INTEGER                                           AS core_conditions,
    s.projected_annual_cost,
    s.risk_signals::INTEGER                                              AS risk_signal_count,
    coalesce(f.risk_flags, '')                                           AS risk_flags,
    s.hospice,
    s.ltc_resident,
    s.mtm_enrollment_date,
    s.offer_date                                                         AS cmr_offer_date,
    p.as_of_date,
    -- issue 14: the member's adherence gaps that can still close by 31 December (qm_member_adherence_gap)
    coalesce(g.adherence_gaps, '')                                       AS adherence_gaps
FROM tgt_service_priority AS s
CROSS JOIN p
JOIN core_member AS m ON m.member_id = s.member_id
LEFT JOIN contact AS k ON k.member_id = s.member_id
LEFT JOIN signal_words AS w ON w.member_id = s.member_id
LEFT JOIN flags AS f ON f.member_id = s.member_id
LEFT JOIN qm_member_adherence_gap AS g ON g.member_id = s.member_id AND g.contract_id = s.contract_id
ORDER BY s.service_order, s.contract_id, s.priority_rank
