-- Core chronic conditions per member, wide: one 0/1 flag column per core disease of the reference list
-- (ref_core_disease, in its display order: cond_alzheimers ... cond_respiratory) and their count. A disease
-- counts once however many sub-conditions or sources show it; a disease outside the set in force (HIV/AIDS
-- before 2025) has no evidence rows and so reads 0.
WITH evidence AS (
    SELECT DISTINCT member_id, core_condition FROM core_condition_evidence
),
grid AS (
    SELECT
        m.member_id,
        lpad(d.display_order::VARCHAR, 2, '0') || '_cond_' || d.core_condition   AS flag_column,
        (e.member_id IS NOT NULL)::INTEGER                                        AS flag
    FROM core_member AS m
    CROSS JOIN ref_core_disease AS d
    LEFT JOIN evidence AS e ON e.member_id = m.member_id AND e.core_condition = d.core_condition
),
counted AS (
    SELECT *, sum(flag) OVER (PARTITION BY member_id)::BIGINT AS core_conditions FROM grid
),
wide AS (
    PIVOT counted ON flag_column USING max(flag) GROUP BY member_id, core_conditions
)
SELECT
    member_id,
    core_conditions,
    -- "01_cond_alzheimers" -> cond_alzheimers, in display order
    COLUMNS('^[0-9]+_(cond_.*)$') AS '\1'
FROM wide
