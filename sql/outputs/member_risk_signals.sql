-- member_risk_signals: the evidence behind each member's risk_flags (targeting-rules.md section 8), one
-- row per enrolled member x signal x group, for the pharmacist's review and the member page: which drugs,
-- days together, first and last day, PDC, the phrase in words, and the severity of a drug-drug interaction
-- (e.g. "warfarin + ciprofloxacin: bleeding risk, 12 days together, last fills 2025-06-02 / 2025-06-10").
-- Member ids only, no names.
SELECT
    r.member_id,
    m.contract_id,
    r.signal,
    r.signal_group,
    r.drugs,
    r.drug_count::INTEGER             AS drug_count,
    r.overlap_days,
    r.first_day,
    r.last_day,
    r.pdc,
    r.severity,
    r.severity_factor,
    r.detail
FROM tgt_risk_signal AS r
JOIN core_member AS m ON m.member_id = r.member_id AND m.enrolled
ORDER BY r.member_id, r.signal, r.signal_group
