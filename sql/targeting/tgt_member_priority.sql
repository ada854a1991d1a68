-- Risk flags and priority score per enrolled member. Until the risk-signal models are built
-- (issue 6) every member carries no flags and no score.
SELECT member_id, '' AS risk_flags, CAST(NULL AS DOUBLE) AS priority_score
FROM tgt_member_criteria
