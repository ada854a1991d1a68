-- The MTM enrollment ledger for the contract year as it will stand after this run
-- (member x contract x contract year). Rules (targeting-rules.md section 6):
--   * a member who meets the criteria in a contract with no ledger row is enrolled: the enrollment
--     date is this run's as-of date and never changes afterwards;
--   * date_met_criteria is the earliest as-of date at which the criteria held (a backfill of an
--     earlier date moves it earlier, never the enrollment date);
--   * a member who asked to opt out of that contract this year is not auto-enrolled again;
--   * with rollover_enrollees, last year's enrollees still in the same contract carry over from Jan 1.
-- Re-running a date changes nothing. The table is written to the warehouse only when the run publishes.
WITH p AS (SELECT * FROM run_parameters),
existing AS (
    SELECT l.member_id, l.contract_id, l.contract_year, l.mtm_enrollment_date, l.date_met_criteria
    FROM mtm_enrollment_ledger AS l, p
    WHERE l.contract_year = p.contract_year
),
met_now AS (
    SELECT c.member_id, c.contract_id
    FROM tgt_member_criteria AS c
    WHERE c.meets_criteria
      AND NOT EXISTS (SELECT 1 FROM tgt_opt_out_request AS r
                      WHERE r.member_id = c.member_id AND r.contract_id = c.contract_id)
),
rolled_over AS (
    SELECT l.member_id, l.contract_id
    FROM mtm_enrollment_ledger AS l
    CROSS JOIN p
    JOIN core_member AS m ON m.member_id = l.member_id AND m.contract_id = l.contract_id AND m.enrolled
    WHERE p.rollover_enrollees AND l.contract_year = p.contract_year - 1
)
SELECT
    coalesce(e.member_id, n.member_id, r.member_id)                      AS member_id,
    coalesce(e.contract_id, n.contract_id, r.contract_id)                AS contract_id,
    p.contract_year                                                      AS contract_year,
    coalesce(e.mtm_enrollment_date,
             CASE WHEN r.member_id IS NOT NULL THEN make_date(p.contract_year, 1, 1) END,
             p.as_of_date)                                               AS mtm_enrollment_date,
    CASE
        WHEN n.member_id IS NULL THEN e.date_met_criteria
        WHEN e.date_met_criteria IS NULL OR p.as_of_date < e.date_met_criteria THEN p.as_of_date
        ELSE e.date_met_criteria
    END                                                                  AS date_met_criteria
FROM existing AS e
FULL JOIN met_now AS n ON n.member_id = e.member_id AND n.contract_id = e.contract_id
FULL JOIN rolled_over AS r
  ON r.member_id = coalesce(e.member_id, n.member_id) AND r.contract_id = coalesce(e.contract_id, n.contract_id)
CROSS JOIN p
