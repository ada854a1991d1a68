-- Core chronic conditions per member, wide: one 0/1 flag per core disease and their count.
-- A disease counts once however many sub-conditions or sources show it.
WITH flags AS (
    SELECT
        member_id,
        max(CASE WHEN core_condition = 'alzheimers' THEN 1 ELSE 0 END)       AS cond_alzheimers,
        max(CASE WHEN core_condition = 'bone_arthritis' THEN 1 ELSE 0 END)   AS cond_bone_arthritis,
        max(CASE WHEN core_condition = 'heart_failure' THEN 1 ELSE 0 END)    AS cond_heart_failure,
        max(CASE WHEN core_condition = 'diabetes' THEN 1 ELSE 0 END)         AS cond_diabetes,
        max(CASE WHEN core_condition = 'dyslipidemia' THEN 1 ELSE 0 END)     AS cond_dyslipidemia,
        max(CASE WHEN core_condition = 'esrd' THEN 1 ELSE 0 END)             AS cond_esrd,
        max(CASE WHEN core_condition = 'hiv_aids' THEN 1 ELSE 0 END)         AS cond_hiv_aids,
        max(CASE WHEN core_condition = 'hypertension' THEN 1 ELSE 0 END)     AS cond_hypertension,
        max(CASE WHEN core_condition = 'mental_health' THEN 1 ELSE 0 END)    AS cond_mental_health,
        max(CASE WHEN core_condition = 'respiratory' THEN 1 ELSE 0 END)      AS cond_respiratory,
        count(DISTINCT core_condition)                                        AS core_conditions
    FROM core_condition_evidence
    GROUP BY member_id
)
SELECT
    m.member_id,
    coalesce(f.core_conditions, 0)        AS core_conditions,
    coalesce(f.cond_alzheimers, 0)        AS cond_alzheimers,
    coalesce(f.cond_bone_arthritis, 0)    AS cond_bone_arthritis,
    coalesce(f.cond_heart_failure, 0)     AS cond_heart_failure,
    coalesce(f.cond_diabetes, 0)          AS cond_diabetes,
    coalesce(f.cond_dyslipidemia, 0)      AS cond_dyslipidemia,
    coalesce(f.cond_esrd, 0)              AS cond_esrd,
    coalesce(f.cond_hiv_aids, 0)          AS cond_hiv_aids,
    coalesce(f.cond_hypertension, 0)      AS cond_hypertension,
    coalesce(f.cond_mental_health, 0)     AS cond_mental_health,
    coalesce(f.cond_respiratory, 0)       AS cond_respiratory
FROM core_member AS m
LEFT JOIN flags AS f ON f.member_id = m.member_id
