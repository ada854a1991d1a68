-- quality_measures (outputs.md; targeting-rules.md section 9): one row per contract x measure, year to
-- date, unsuppressed numbers (the published CSV is suppressed by pipelines/publishing/privacy.py). A contract with
-- no member in a measure's population has a row with denominator 0 and no rate.
--   rate               numerator / denominator, 4 decimals
--   too_small_to_rate  denominator < 31
--   year_end_low/high  adherence measures: the rate at 31 December if no recoverable member refills
--                      (members already adherent stay so; a recoverable member counts only when the
--                      supply already dispensed carries them to 80%) vs every recoverable member does
--   recoverable_members adherence measures: members below 80% who can still end the year at 80%
WITH p AS (SELECT * FROM run_parameters),
contracts AS (SELECT DISTINCT contract_id FROM qm_member_year WHERE contract_id IS NOT NULL
              UNION SELECT DISTINCT contract_id FROM tgt_mtm_enrollment),
adherence AS (
    SELECT contract_id, measure_id,
           count(*) FILTER (WHERE recoverable)                                            AS recoverable_members,
           count(*) FILTER (WHERE recoverable AND adherent_at_year_end_if_no_refill)       AS recover_without_refill
    FROM qm_pdc_member
    GROUP BY contract_id, measure_id
),
counts AS (
    SELECT contract_id, measure_id,
           count(*) FILTER (WHERE in_denominator) AS denominator,
           count(*) FILTER (WHERE in_numerator)   AS numerator
    FROM quality_measure_members
    GROUP BY contract_id, measure_id
)
SELECT
    c.contract_id,
    p.contract_year                                                       AS measurement_year,
    q.measure_id,
    q.measure_name,
    coalesce(n.numerator, 0)::INTEGER                                     AS numerator,
    coalesce(n.denominator, 0)::INTEGER                                   AS denominator,
    round(n.numerator / nullif(n.denominator, 0), 4)                      AS rate,
    coalesce(n.denominator, 0) < 31                                       AS too_small_to_rate,
    CASE WHEN q.kind = 'adherence' THEN
        round((n.numerator + coalesce(a.recover_without_refill, 0)) / nullif(n.denominator, 0), 4) END AS year_end_low,
    CASE WHEN q.kind = 'adherence' THEN
        round((n.numerator + coalesce(a.recoverable_members, 0)) / nullif(n.denominator, 0), 4) END    AS year_end_high,
    CASE WHEN q.kind = 'adherence' THEN coalesce(a.recoverable_members, 0)::INTEGER END              AS recoverable_members,
    q.lower_is_better,
    q.display_order
FROM contracts AS c
CROSS JOIN qm_measure_definition AS q
CROSS JOIN p
LEFT JOIN counts AS n ON n.contract_id = c.contract_id AND n.measure_id = q.measure_id
LEFT JOIN adherence AS a ON a.contract_id = c.contract_id AND a.measure_id = q.measure_id
ORDER BY c.contract_id, q.display_order
