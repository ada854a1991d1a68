-- outreach_list: one row per member x CMR service due (outputs.md: cmr_initial, cmr_annual,
-- cmr_follow_up), what outreach staff call or write from; TMRs are pharmacist desk reviews and go to
-- tmr_worklist instead (targeting-rules.md section 7). With the tmr_worklist and the CMS beneficiary file,
-- the only output that carries names, phone numbers, addresses and birth dates (PHI): contact details are
-- member_contact's. Section 7's extra columns: mailing address, mbi, last CMR offer / completion, last
-- TMR, attempts since the last offer, cognitively impaired, enrollment_source. reasons = counts, DMP
-- status, risk signals and outreach attempts in words, then the service and its due date, e.g. "9 Part D drugs, 4 chronic conditions, projected cost $5,200/yr, opioid +
-- benzodiazepine 45 days; initial CMR offer due 2025-11-29".
WITH p AS (SELECT * FROM run_parameters),
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
    k.*,                                     -- member_id, mbi, name, birth date, age, phone, language, address
    s.contact_note,
    concat_ws(', ',
        s.part_d_drugs || ' Part D drug' || CASE WHEN s.part_d_drugs = 1 THEN '' ELSE 's' END,
        s.core_conditions || ' chronic condition' || CASE WHEN s.core_conditions = 1 THEN '' ELSE 's' END,
        'projected cost $' || format('{:,}', CAST(round(s.projected_annual_cost, 0) AS BIGINT)) || '/yr',
        CASE WHEN s.arb THEN 'drug management program at-risk beneficiary' END,
        w.words,
        CASE WHEN h.attempts_since_last_offer > 0
             THEN h.attempts_since_last_offer || ' outreach attempt' || CASE WHEN h.attempts_since_last_offer = 1
                  THEN '' ELSE 's' END || ' since the last offer' END
    ) || '; ' ||
    CASE s.service
        WHEN 'cmr_initial' THEN 'initial CMR offer due ' || strftime(s.due_date, '%Y-%m-%d')
        WHEN 'cmr_annual' THEN 'annual CMR offer due ' || strftime(s.due_date, '%Y-%m-%d')
                               || CASE WHEN s.offer_date IS NOT NULL
                                       THEN ' (last offer ' || strftime(s.offer_date, '%Y-%m-%d') || ')' ELSE '' END
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
    s.enrollment_source,
    s.offer_date                                                         AS cmr_offer_date,
    h.last_cmr_offer_date,
    h.last_cmr_completed_date,
    h.last_tmr_date,
    h.attempts_since_last_offer,
    coalesce(h.cognitively_impaired, false)                              AS cognitively_impaired,
    p.as_of_date,
    -- the member's adherence gaps that can still close by 31 December (qm_member_adherence_gap)
    coalesce(g.adherence_gaps, '')                                       AS adherence_gaps,
    -- issue 26 item 9 (docs/rules/ledger-and-services.md): what the last attempt since the last offer
    -- was, a phone reported wrong by the latest phone attempt, and when to try again after an unanswered one
    CASE WHEN h.attempts_since_last_offer > 0 THEN replace(h.last_attempt_outcome, '_', ' ') ELSE '' END
                                                                         AS last_attempt_outcome,
    CASE WHEN h.last_phone_outcome = 'wrong_number'
         THEN 'wrong number reported ' || strftime(h.last_phone_attempt_date, '%Y-%m-%d') ELSE '' END
                                                                         AS phone_flag,
    CASE WHEN h.attempts_since_last_offer > 0 THEN
        CASE h.last_attempt_outcome
            WHEN 'no_answer' THEN h.last_attempt_date + p.retry_no_answer_days
            WHEN 'left_message' THEN h.last_attempt_date + p.retry_left_message_days
            WHEN 'refused' THEN h.last_attempt_date + p.retry_refused_days
        END
    END                                                                  AS next_try_date
FROM tgt_service_priority AS s
CROSS JOIN p
JOIN member_contact AS k ON k.member_id = s.member_id
JOIN tgt_member_service_history AS h ON h.member_id = s.member_id AND h.contract_id = s.contract_id
LEFT JOIN signal_words AS w ON w.member_id = s.member_id
LEFT JOIN flags AS f ON f.member_id = s.member_id
LEFT JOIN qm_member_adherence_gap AS g ON g.member_id = s.member_id AND g.contract_id = s.contract_id
WHERE s.service <> 'tmr'
ORDER BY s.contract_id, s.priority_rank  -- one ranking per contract across the CMR services
