-- quality_measure_members (outputs.md): the member-level detail behind quality_measures, one row per
-- member x contract x measure in a measure's population before exclusions. PDC columns are filled for
-- the adherence measures only; recoverable / days_may_still_miss say which gaps can still close by
-- 31 December (qm_pdc_member). No names or other PHI: member ids only.
SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason, pdc, days_covered,
       days_in_period, recoverable, days_may_still_miss
FROM qm_pdc_member
UNION ALL BY NAME
SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason,
       NULL::DECIMAL(10, 4) AS pdc, NULL::INTEGER AS days_covered, NULL::INTEGER AS days_in_period,
       NULL::BOOLEAN AS recoverable, NULL::INTEGER AS days_may_still_miss
FROM (
    SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason FROM qm_cmr_member
    UNION ALL SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason FROM qm_supd_member
    UNION ALL SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason FROM qm_cob_member
    UNION ALL SELECT member_id, contract_id, measure_id, in_denominator, in_numerator, exclusion_reason FROM qm_poly_member
)
ORDER BY measure_id, contract_id, recoverable DESC NULLS LAST, days_may_still_miss NULLS LAST, member_id
