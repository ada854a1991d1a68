-- Risk flags and priority score per member enrolled in Part D at D (joined by member_summary):
-- risk_flags = the member's medication-risk signal names (tgt_risk_signal), alphabetical,
-- semicolon-separated, '' when none; priority_score = the highest score among the member's services
-- due (tgt_service_priority), NULL when the member has no service due (not enrolled in MTM).
SELECT
    c.member_id,
    coalesce((SELECT string_agg(DISTINCT r.signal, ';' ORDER BY r.signal)
              FROM tgt_risk_signal AS r WHERE r.member_id = c.member_id), '')  AS risk_flags,
    (SELECT max(s.priority_score) FROM tgt_service_priority AS s
      WHERE s.member_id = c.member_id)                                         AS priority_score
FROM tgt_member_criteria AS c
