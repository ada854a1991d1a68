-- member_services: the MTM services due at D per member (targeting-rules.md section 7, tgt_service_due),
-- PHI-free, for the portal's member page: service, due date, days until due, the offer it follows up,
-- and the contact note. Member ids only.
SELECT member_id, contract_id, service, service_order, due_date, days_until_due, offer_date,
       mtm_enrollment_date, contact_note
FROM tgt_service_due
ORDER BY member_id, service_order
