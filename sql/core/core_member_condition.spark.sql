-- Core chronic conditions per member, wide: one 0/1 flag column per core disease of the reference list
-- (ref_core_disease, in its display order: cond_alzheimers ... cond_respiratory) and their count. A disease
-- counts once however many sub-conditions or sources show it; a disease outside the set in force (HIV/AIDS
-- before 2025) has no evidence rows and so reads 0.
-- SPARK VARIANT of core_member_condition.sql (issue 31; listed in README.md, docs/rules/spark.md): one conditional aggregate per core disease instead of PIVOT (Spark's PIVOT needs the values listed), in ref_core_disease display order.
WITH evidence AS (
  SELECT DISTINCT
    member_id,
    core_condition
  FROM core_condition_evidence
)
SELECT
  m.member_id,
  CAST(COUNT(e.member_id) AS BIGINT) AS core_conditions,
  MAX(
    CASE
      WHEN d.core_condition = 'alzheimers'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_alzheimers,
  MAX(
    CASE
      WHEN d.core_condition = 'bone_arthritis'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_bone_arthritis,
  MAX(
    CASE
      WHEN d.core_condition = 'heart_failure'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_heart_failure,
  MAX(
    CASE
      WHEN d.core_condition = 'diabetes'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_diabetes,
  MAX(
    CASE
      WHEN d.core_condition = 'dyslipidemia'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_dyslipidemia,
  MAX(
    CASE
      WHEN d.core_condition = 'esrd'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_esrd,
  MAX(
    CASE
      WHEN d.core_condition = 'hiv_aids'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_hiv_aids,
  MAX(
    CASE
      WHEN d.core_condition = 'hypertension'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_hypertension,
  MAX(
    CASE
      WHEN d.core_condition = 'mental_health'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_mental_health,
  MAX(
    CASE
      WHEN d.core_condition = 'respiratory'
      THEN CAST((
        NOT e.member_id IS NULL
      ) AS INT)
    END
  ) AS cond_respiratory
FROM core_member AS m
CROSS JOIN ref_core_disease AS d
LEFT JOIN evidence AS e
  ON e.member_id = m.member_id AND e.core_condition = d.core_condition
GROUP BY
  m.member_id
