-- member_evidence: the claims and fills behind each core-condition flag of the member page (portal,
-- outputs.md `mtm serve`; rules in targeting-rules.md section 4). One row per enrolled member x core
-- condition x claim or fill that is evidence of it, for the flags that hold (core_condition_evidence):
--   dx           a medical claim in the dx look-back with a code of the condition's value set (hospice
--                claims are not evidence): claim id, claim type, start date, the ICD code
--   rx           a counted, systemic fill in the rx look-back of a drug that is evidence of the condition:
--                claim id, fill date, the drug and its NDC
--   eligibility  the Medicare ESRD status at D (no claim)
-- Member ids only, no PHI.
WITH p AS (SELECT * FROM run_parameters),
flag AS (
    SELECT DISTINCT e.member_id, e.core_condition, e.source
    FROM core_condition_evidence AS e
    JOIN core_member AS m ON m.member_id = e.member_id AND m.enrolled
),
dx AS (
    SELECT DISTINCT d.member_id, v.core_condition, 'dx' AS source, d.claim_id, d.claim_type AS claim_kind,
           d.claim_start_date AS evidence_date, d.code, CAST(NULL AS VARCHAR) AS drug
    FROM stg_diagnosis AS d
    CROSS JOIN p
    JOIN ref_condition_dx AS v
      ON v.icd_version = d.icd_version
     AND left(v.code_prefix, 3) = left(d.code, 3)
     AND starts_with(d.code, v.code_prefix)
    WHERE d.claim_start_date BETWEEN p.as_of_date - (p.dx_lookback_days - 1) AND p.as_of_date
      AND d.claim_type <> 'hospice'
),
rx AS (
    SELECT DISTINCT f.member_id, a.core_condition, 'rx' AS source, f.claim_id, 'fill' AS claim_kind,
           f.fill_date AS evidence_date, f.ndc AS code, f.drug_key AS drug
    FROM (SELECT *, unnest(atc_codes) AS atc_code FROM core_fill) AS f
    CROSS JOIN p
    JOIN core_atc_condition AS a ON a.atc_code = f.atc_code
    WHERE f.fill_status = 'counted'
      AND NOT f.local_use
      AND f.fill_date BETWEEN p.as_of_date - (p.rx_condition_lookback_days - 1) AND p.as_of_date
),
eligibility AS (
    SELECT e.member_id, e.core_condition, 'eligibility' AS source, CAST(NULL AS VARCHAR) AS claim_id,
           'ESRD status' AS claim_kind, e.last_evidence_date AS evidence_date, CAST(NULL AS VARCHAR) AS code,
           CAST(NULL AS VARCHAR) AS drug
    FROM core_condition_evidence AS e
    WHERE e.source = 'eligibility'
)
SELECT x.member_id, x.core_condition, x.source, x.claim_id, x.claim_kind, x.evidence_date, x.code, x.drug
FROM (SELECT * FROM dx UNION ALL SELECT * FROM rx UNION ALL SELECT * FROM eligibility) AS x
JOIN flag AS f ON f.member_id = x.member_id AND f.core_condition = x.core_condition AND f.source = x.source
ORDER BY x.member_id, x.core_condition, x.source, x.evidence_date, x.claim_id, x.code
