-- member_signals: the medication-risk signals of each member with their evidence (targeting-rules.md
-- section 8, tgt_risk_signal), for the portal's member page: signal, group (drug class or PQA class),
-- the drugs, overlapping days, first and last day of the evidence, PDC for adherence gaps, and the
-- phrase in words. Member ids only, no PHI.
SELECT member_id, signal, signal_group, drugs, drug_count, overlap_days, first_day, last_day, pdc, detail
FROM tgt_risk_signal
ORDER BY member_id, signal, signal_group
