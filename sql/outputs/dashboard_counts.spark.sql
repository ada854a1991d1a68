-- dashboard_counts: the member counts behind the program dashboard (outputs.md, dashboard.html), one row
-- per contract x panel x category x status. Exact counts, no member ids: the dashboard builder suppresses
-- small cells (targeting-rules.md section 10) before anything reaches the page.
--   funnel   Part D enrollees at D -> meets conditions / drugs / cost -> meets criteria -> MTM enrolled at D
--            -> CMR offered (a cmr_offered or cmr_completed event this CY in the contract) -> CMR completed
--   reason   targeting reason 01..04 of the members enrolled at D (section 5)
--   service  outreach-list rows by service, status 'overdue' (due date before D) or 'due'
--   opt_out  members of the CY's ledger who opted out by D, and members whose requested opt-out blocked
--            their enrollment, by reason (section 6)
-- SPARK VARIANT of dashboard_counts.sql (issue 31; listed in README.md, docs/rules/spark.md): UNPIVOT in Spark's syntax with the funnel columns named (DuckDB's ON COLUMNS(* EXCLUDE)).
WITH p AS (
  SELECT
    *
  FROM run_parameters
), cmr AS (
  SELECT
    member_id,
    contract_id,
    BOOL_OR(event_type IN ('cmr_offered', 'cmr_completed')) AS offered,
    BOOL_OR(event_type = 'cmr_completed') AS completed
  FROM tgt_mtm_event
  GROUP BY
    member_id,
    contract_id
), member_steps AS (
  SELECT
    s.contract_id,
    s.targeting_reason,
    s.meets_conditions,
    s.meets_drugs,
    s.meets_cost,
    s.meets_criteria,
    s.mtm_enrolled,
    s.mtm_enrolled AND COALESCE(c.offered, FALSE) AS cmr_offered,
    s.mtm_enrolled AND COALESCE(c.completed, FALSE) AS cmr_completed
  FROM member_summary AS s
  LEFT JOIN cmr AS c
    ON c.member_id = s.member_id AND c.contract_id = s.contract_id
), funnel AS (
  SELECT
    *
  FROM (
    SELECT
      contract_id,
      COUNT(*) AS part_d_enrollees,
      COUNT(*) FILTER(WHERE
        meets_conditions) AS meets_conditions,
      COUNT(*) FILTER(WHERE
        meets_drugs) AS meets_drugs,
      COUNT(*) FILTER(WHERE
        meets_cost) AS meets_cost,
      COUNT(*) FILTER(WHERE
        meets_criteria) AS meets_criteria,
      COUNT(*) FILTER(WHERE
        mtm_enrolled) AS mtm_enrolled,
      COUNT(*) FILTER(WHERE
        cmr_offered) AS cmr_offered,
      COUNT(*) FILTER(WHERE
        cmr_completed) AS cmr_completed
    FROM member_steps
    GROUP BY
      contract_id
  ) AS steps
    UNPIVOT (members FOR category IN (part_d_enrollees, meets_conditions, meets_drugs, meets_cost, meets_criteria, mtm_enrolled, cmr_offered, cmr_completed))
)
SELECT
  contract_id,
  'funnel' AS panel,
  category,
  CAST(NULL AS STRING) AS status,
  members
FROM funnel
UNION ALL
SELECT
  contract_id,
  'reason',
  targeting_reason,
  NULL,
  COUNT(*)
FROM member_summary
GROUP BY ALL
UNION ALL
SELECT
  o.contract_id,
  'service',
  o.service,
  CASE WHEN o.due_date < p.as_of_date THEN 'overdue' ELSE 'due' END,
  COUNT(*)
FROM outreach_list AS o
CROSS JOIN p
GROUP BY ALL
UNION ALL
SELECT
  contract_id,
  'opt_out',
  opt_out_reason,
  NULL,
  COUNT(*)
FROM (
  SELECT
    member_id,
    contract_id,
    opt_out_reason
  FROM tgt_mtm_enrollment
  WHERE
    NOT opt_out_reason IS NULL
  UNION
  SELECT
    member_id,
    contract_id,
    opt_out_reason
  FROM member_summary
  WHERE
    NOT opt_out_reason IS NULL
)
GROUP BY ALL
