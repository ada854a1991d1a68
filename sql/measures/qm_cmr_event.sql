-- Every CMR (cmr_completed event) of the contract year up to D of an MTM ledger row's contract, with the
-- written summary sent for it (targeting-rules.md section 9, 2026-12-07; issue 25 item 10):
--   after_enrollment  dated on or after the ledger row's mtm_enrollment_date (a CMR before it does not count)
--   summary_date      the first summary_sent event of the contract on or after the CMR date (NULL: the CMR
--                     is still waiting for its summary)
--   counted           after_enrollment and a summary was sent: the CMR counts for the CMR completion rate
--   summary_late      counted, and the summary was sent more than 14 days after the CMR
-- Events are those of tgt_mtm_event: an event that no span of its contract covers is held and absent here.
SELECT l.member_id, l.contract_id, c.event_date AS cmr_date, l.mtm_enrollment_date,
       c.event_date >= l.mtm_enrollment_date                                         AS after_enrollment,
       min(s.event_date)                                                             AS summary_date,
       c.event_date >= l.mtm_enrollment_date AND min(s.event_date) IS NOT NULL       AS counted,
       c.event_date >= l.mtm_enrollment_date
           AND coalesce(min(s.event_date) > c.event_date + 14, false)                AS summary_late
FROM tgt_mtm_enrollment AS l
JOIN tgt_mtm_event AS c
  ON c.member_id = l.member_id AND c.contract_id = l.contract_id AND c.event_type = 'cmr_completed'
LEFT JOIN tgt_mtm_event AS s
  ON s.member_id = c.member_id AND s.contract_id = c.contract_id AND s.event_type = 'summary_sent'
 AND s.event_date >= c.event_date
GROUP BY l.member_id, l.contract_id, l.mtm_enrollment_date, c.event_date, c._seq
