-- Recoverable adherence gaps per member and contract, in words, for the outreach list and the TMR
-- worklist (targeting-rules.md section 9): e.g. "statins PDC 71.2%, 14 days may still be missed". Only
-- gaps that can still close by 31 December (qm_pdc_member.recoverable), the tightest margin first.
SELECT
    g.member_id,
    g.contract_id,
    count(*)::INTEGER                    AS recoverable_gaps,
    min(g.days_may_still_miss)::INTEGER  AS min_days_may_still_miss,
    string_agg(
        CASE g.measure_id WHEN 'pdc_sta' THEN 'statins' WHEN 'pdc_rasa' THEN 'RAS antagonists'
                          ELSE 'diabetes drugs' END
        || ' PDC ' || format('{:.1f}', g.pdc * 100) || '%, '
        || g.days_may_still_miss || ' day' || CASE WHEN g.days_may_still_miss = 1 THEN '' ELSE 's' END
        || ' may still be missed',
        '; ' ORDER BY g.days_may_still_miss, g.measure_id)  AS adherence_gaps
FROM qm_pdc_member AS g
WHERE g.recoverable
GROUP BY g.member_id, g.contract_id
