-- Medication-risk points per member (targeting-rules.md section 8): every drug named in the evidence of
-- the member's risk signals (tgt_risk_signal.drugs, 'a + b') adds the weight of the heaviest signal it
-- takes part in, once: one drug that triggers several signals adds its heaviest weight only. Signal
-- weights are the plan's [priority] settings (run_signal_weight); a signal without one weighs
-- other_signal; a row's severity_factor (drug interactions: contraindicated 1.0, major 0.75, moderate 0.5;
-- 1.0 otherwise) scales it. Any signal row of tgt_risk_signal counts, so a new signal needs only its weight.
WITH weights AS (SELECT * FROM run_signal_weight),
signal_drug AS (
    SELECT r.member_id, r.signal, trim(d.drug) AS drug,
           coalesce(w.weight, (SELECT weight FROM weights WHERE signal = 'other_signal'), 1.0)
               * coalesce(r.severity_factor, 1.0)                                    AS weight
    FROM tgt_risk_signal AS r
    CROSS JOIN unnest(string_split(coalesce(nullif(r.drugs, ''), r.signal), ' + ')) AS d(drug)
    LEFT JOIN weights AS w ON w.signal = r.signal
),
drug_weight AS (
    SELECT member_id, drug, max(weight) AS weight
    FROM signal_drug
    GROUP BY member_id, drug
)
SELECT
    d.member_id,
    sum(d.weight)                                AS signal_points,
    count(*)                                     AS signal_drugs,
    any_value(s.risk_signals)                    AS risk_signals
FROM drug_weight AS d
JOIN (SELECT member_id, count(DISTINCT signal) AS risk_signals FROM tgt_risk_signal GROUP BY member_id) AS s
  ON s.member_id = d.member_id
GROUP BY d.member_id
