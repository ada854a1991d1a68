-- Part D drug counts at D: distinct active drugs, and the maintenance drugs among them.
SELECT
    m.member_id,
    count(a.drug_key)                                   AS active_drugs,
    count(a.drug_key) FILTER (WHERE a.maintenance)      AS maintenance_drugs
FROM core_member AS m
LEFT JOIN core_active_drug AS a ON a.member_id = m.member_id
GROUP BY m.member_id
