-- tmr_worklist: the pharmacist's desk-review list (targeting-rules.md section 7, outputs.md): one row per
-- member x quarter with a targeted medication review due (tgt_service_priority, service 'tmr'), in
-- priority order within each contract. It carries the draft Personal Medication List the pharmacist
-- reviews from:
--   active_drugs         each active drug (core_active_drug) as "ingredients [class] last fill YYYY-MM-DD,
--                        N days", alphabetical, '; '-separated
--   risk_signals         each medication-risk signal (tgt_risk_signal, adherence gaps apart) in words with
--                        its evidence: drugs and the first and last day of the evidence
--   adherence_gaps       PQA adherence classes below 80% PDC (tgt_risk_signal adherence_gap rows)
--   recoverable_gaps     of those, the quality-measure gaps that can still close by 31 December, with the
--                        days the member may still miss (qm_member_adherence_gap)
--   primary_prescriber_npi  the NPI that last prescribed the most of the member's active drugs; ties go to
--                        the prescriber of the latest fill, then the lowest NPI
--   last_cmr_date        the last cmr_completed of the contract (any year)
-- Like outreach_list, it carries PHI (name, birth date, phone): contact details are member_contact's.
WITH p AS (SELECT * FROM run_parameters),
drugs AS (
    SELECT member_id,
           count(*)                                                                  AS active_drug_count,
           string_agg(drug_key || coalesce(' [' || replace(drug_class, '_', ' ') || ']', '')
                      || ' last fill ' || strftime(last_fill_date, '%Y-%m-%d') || ', '
                      || last_days_supply || ' days', '; ' ORDER BY drug_key)          AS active_drugs
    FROM core_active_drug
    GROUP BY member_id
),
prescriber AS (
    SELECT member_id,
           arg_max(last_prescriber_npi, (drugs_prescribed, latest_fill, -try_cast(last_prescriber_npi AS BIGINT)))
               AS primary_prescriber_npi
    FROM (
        SELECT member_id, last_prescriber_npi, count(*) AS drugs_prescribed, max(last_fill_date) AS latest_fill
        FROM core_active_drug
        WHERE coalesce(last_prescriber_npi, '') <> ''
        GROUP BY member_id, last_prescriber_npi
    )
    GROUP BY member_id
),
signals AS (
    SELECT member_id,
           string_agg(detail || ' (' || CASE WHEN contains(detail, drugs) THEN '' ELSE drugs || '; ' END
                      || strftime(first_day, '%Y-%m-%d') || ' to ' || strftime(last_day, '%Y-%m-%d') || ')',
                      '; ' ORDER BY signal, signal_group)
               FILTER (WHERE signal <> 'adherence_gap')                             AS risk_signals,
           string_agg(detail || ' (' || drugs || ')', '; ' ORDER BY signal_group)
               FILTER (WHERE signal = 'adherence_gap')                              AS adherence_gaps
    FROM tgt_risk_signal
    GROUP BY member_id
)
SELECT
    s.contract_id,
    s.pbp_id,
    strftime(s.due_date, '%Y') || '-Q' || quarter(s.due_date)                AS quarter_due,
    s.due_date,
    s.priority_rank::INTEGER                                                 AS priority_rank,
    s.priority_score,
    -- member_id, mbi, name, birth date, age, phone: a desk review writes no letters
    k.* EXCLUDE (preferred_language, address_line, city, state, zip_code),
    s.contact_note,
    coalesce(d.active_drug_count, 0)::INTEGER                                AS active_drug_count,
    coalesce(d.active_drugs, '')                                             AS active_drugs,
    coalesce(g.risk_signals, '')                                             AS risk_signals,
    coalesce(g.adherence_gaps, '')                                           AS adherence_gaps,
    -- the gaps that can still close by 31 December if the member refills on time (quality measures)
    coalesce(q.adherence_gaps, '')                                           AS recoverable_gaps,
    r.primary_prescriber_npi,
    h.last_cmr_completed_date                                                AS last_cmr_date,
    h.last_tmr_date,
    s.part_d_drugs::INTEGER                                                  AS part_d_drugs,
    s.core_conditions::INTEGER                                               AS core_conditions,
    s.hospice,
    s.ltc_resident,
    coalesce(h.cognitively_impaired, false)                                  AS cognitively_impaired,
    s.mtm_enrollment_date,
    s.enrollment_source,
    p.as_of_date
FROM tgt_service_priority AS s
CROSS JOIN p
JOIN member_contact AS k ON k.member_id = s.member_id
JOIN tgt_member_service_history AS h ON h.member_id = s.member_id AND h.contract_id = s.contract_id
LEFT JOIN drugs AS d ON d.member_id = s.member_id
LEFT JOIN prescriber AS r ON r.member_id = s.member_id
LEFT JOIN signals AS g ON g.member_id = s.member_id
LEFT JOIN qm_member_adherence_gap AS q ON q.member_id = s.member_id AND q.contract_id = s.contract_id
WHERE s.service = 'tmr'
ORDER BY s.contract_id, s.priority_rank
