-- member_conditions: the evidence behind every core-condition flag, for audit — member x core
-- condition x source (dx / rx / eligibility), first and last evidence date, claim or fill count.
SELECT
    e.member_id,
    e.core_condition,
    e.source,
    e.first_evidence_date,
    e.last_evidence_date,
    e.evidence_count
FROM core_condition_evidence AS e
JOIN core_member AS m ON m.member_id = e.member_id AND m.enrolled
ORDER BY e.member_id, e.core_condition, e.source
