-- The MTM enrollment ledger for the contract year as it will stand after this run
-- (member x contract x contract year). Rules (targeting-rules.md section 6):
--   * a ledger row already written keeps its enrollment date and source for ever; a seeded row
--     (mtm ledger import, enrollment_source = seed) is not changed at all;
--   * rollover_enrollees = true: last year's enrollees of the contract who were still covered by it on
--     31 December and 1 January, did not opt out (any reason, recorded or seeded), did not die and did not
--     leave the contract last year, are carried over: enrollment date 1 January, source rollover;
--   * a member who meets the criteria in a contract with no ledger row enters it: with service events of
--     that contract and CY before D (tgt_enrollment_evidence) the earliest one is the enrollment date
--     (source inferred_from_events), or the member's opt-out of that contract and CY before D when it is
--     earlier (an enrollee opted out: the opt-out is honoured like the service events), else this run's
--     as-of date (source run);
--   * a member with a recorded opt-out in that contract and CY (tgt_opt_out_request) and no service
--     events is not auto-enrolled (member_summary lists the opt-out);
--   * date_met_criteria is the earliest as-of date at which the criteria held (a backfill of an earlier
--     date moves it earlier, never the enrollment date); for an inferred row, the inferred enrollment date.
--   * the targeting reason (01-03) is recorded when the member enters the ledger (the reason at that run;
--     a rolled-over row keeps last year's) and never recomputed (outputs.md, CMS record). A row written
--     before reasons were recorded (targeting_reason empty, not seeded) is filled once, at the first later
--     run at which the member meets the criteria, and says so (targeting_reason_source
--     filled_after_enrollment). A seeded row keeps what its roster said.
-- Re-running a date changes nothing. The table is written to the warehouse only when the run publishes.
WITH p AS (SELECT * FROM run_parameters),
existing AS (
    SELECT l.*
    FROM mtm_enrollment_ledger AS l, p
    WHERE l.contract_year = p.contract_year
),
met_now AS (
    SELECT member_id, contract_id, targeting_reason FROM tgt_member_criteria WHERE meets_criteria
),
rolled_over AS (
    SELECT l.member_id, l.contract_id, l.targeting_reason AS prior_reason
    FROM mtm_enrollment_ledger AS l
    CROSS JOIN p
    WHERE p.rollover_enrollees AND l.contract_year = p.contract_year - 1
      AND l.opt_out_date IS NULL
      AND NOT EXISTS (SELECT 1 FROM tgt_mtm_event_history AS o
                      WHERE o.member_id = l.member_id AND o.contract_id = l.contract_id
                        AND o.contract_year = l.contract_year AND o.event_type = 'opted_out')
      AND NOT EXISTS (SELECT 1 FROM core_member AS m
                      WHERE m.member_id = l.member_id AND m.death_date < make_date(p.contract_year, 1, 1))
      AND EXISTS (SELECT 1 FROM core_member_span AS s
                  WHERE s.member_id = l.member_id AND s.contract_id = l.contract_id
                    AND make_date(l.contract_year, 12, 31) BETWEEN s.span_start AND s.span_end)
      AND EXISTS (SELECT 1 FROM core_member_span AS s
                  WHERE s.member_id = l.member_id AND s.contract_id = l.contract_id
                    AND make_date(p.contract_year, 1, 1) BETWEEN s.span_start AND s.span_end)
),
entrants AS (  -- an opt-out recorded before the first service event is evidence too: the member was
               -- enrolled by then (section 6, "honoured the same way"; a CMS edit rejects an opt-out
               -- dated before the enrollment date)
    SELECT n.member_id, n.contract_id,
           CASE WHEN v.first_service_date IS NOT NULL
                THEN least(v.first_service_date,
                           CASE WHEN o.opt_out_date < p.as_of_date THEN o.opt_out_date END) END AS first_service_date
    FROM met_now AS n
    CROSS JOIN p
    LEFT JOIN tgt_enrollment_evidence AS v ON v.member_id = n.member_id AND v.contract_id = n.contract_id
    LEFT JOIN tgt_opt_out_request AS o ON o.member_id = n.member_id AND o.contract_id = n.contract_id
    WHERE v.first_service_date IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM tgt_opt_out_request AS r
                      WHERE r.member_id = n.member_id AND r.contract_id = n.contract_id)
),
ledger_keys AS (
    SELECT member_id, contract_id FROM existing
    UNION SELECT member_id, contract_id FROM rolled_over
    UNION SELECT member_id, contract_id FROM entrants
)
SELECT
    k.member_id,
    k.contract_id,
    p.contract_year                                                       AS contract_year,
    coalesce(e.mtm_enrollment_date,
             CASE WHEN r.member_id IS NOT NULL THEN make_date(p.contract_year, 1, 1) END,
             n.first_service_date,
             p.as_of_date)                                                AS mtm_enrollment_date,
    CASE
        WHEN e.enrollment_source = 'seed' THEN e.date_met_criteria
        WHEN e.member_id IS NULL AND r.member_id IS NULL AND n.first_service_date IS NOT NULL
            THEN n.first_service_date
        WHEN m.member_id IS NULL THEN e.date_met_criteria
        WHEN e.date_met_criteria IS NULL OR p.as_of_date < e.date_met_criteria THEN p.as_of_date
        ELSE e.date_met_criteria
    END                                                                   AS date_met_criteria,
    CASE WHEN e.member_id IS NOT NULL THEN coalesce(e.enrollment_source, 'run')  -- a row from before sources
         WHEN r.member_id IS NOT NULL THEN 'rollover'
         WHEN n.first_service_date IS NOT NULL THEN 'inferred_from_events'
         ELSE 'run' END                                                   AS enrollment_source,
    CASE WHEN e.member_id IS NOT NULL AND e.targeting_reason IS NOT NULL THEN e.targeting_reason
         WHEN e.member_id IS NOT NULL AND e.enrollment_source = 'seed' THEN NULL
         WHEN e.member_id IS NOT NULL THEN m.targeting_reason                 -- filled once, never recomputed
         WHEN r.member_id IS NOT NULL THEN coalesce(r.prior_reason, m.targeting_reason)
         ELSE m.targeting_reason END                                      AS targeting_reason,
    e.opt_out_date,
    e.opt_out_reason,
    CASE WHEN e.member_id IS NOT NULL AND e.targeting_reason IS NOT NULL
              THEN coalesce(e.targeting_reason_source,
                            CASE WHEN e.enrollment_source = 'seed' THEN 'seed' ELSE 'enrollment' END)
         WHEN e.member_id IS NOT NULL AND e.enrollment_source = 'seed' THEN NULL
         WHEN e.member_id IS NOT NULL AND m.member_id IS NOT NULL THEN 'filled_after_enrollment'
         WHEN e.member_id IS NOT NULL THEN NULL
         WHEN r.member_id IS NOT NULL AND coalesce(r.prior_reason, m.targeting_reason) IS NOT NULL THEN 'rollover'
         WHEN r.member_id IS NOT NULL THEN NULL
         ELSE 'enrollment' END                                            AS targeting_reason_source
FROM ledger_keys AS k
CROSS JOIN p
LEFT JOIN existing AS e ON e.member_id = k.member_id AND e.contract_id = k.contract_id
LEFT JOIN rolled_over AS r ON r.member_id = k.member_id AND r.contract_id = k.contract_id
LEFT JOIN entrants AS n ON n.member_id = k.member_id AND n.contract_id = k.contract_id
LEFT JOIN met_now AS m ON m.member_id = k.member_id AND m.contract_id = k.contract_id
