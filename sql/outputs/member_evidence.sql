-- member_evidence: the claims and fills behind each core-condition flag of the member page (portal,
-- outputs.md `mtm serve`; rules in targeting-rules.md section 4). One row per enrolled member x core
-- condition x claim or fill that is evidence of it, for the flags that hold (core_condition_evidence):
--   dx           a medical claim in the dx look-back with a code of the condition's value set (hospice
--                claims are not evidence): claim id, claim type, start date, the ICD code
--   rx           a counted, systemic fill in the rx look-back of a drug that is evidence of the condition:
--                claim id, fill date, the drug and its NDC
--   eligibility  the Medicare ESRD status at D (no claim)
-- Member ids only, no PHI.
WITH flag AS (
    SELECT DISTINCT e.member_id, e.core_condition, e.source
    FROM core_condition_evidence AS e
    JOIN core_member AS m ON m.member_id = e.member_id AND m.enrolled
),
dx AS (
    SELECT member_id, core_condition, 'dx' AS source, claim_id, claim_type AS claim_kind,
           claim_start_date AS evidence_date, code, CAST(NULL AS VARCHAR) AS drug
    FROM core_condition_dx_claim
),
rx AS (
    SELECT member_id, core_condition, 'rx' AS source, claim_id, 'fill' AS claim_kind,
           fill_date AS evidence_date, ndc AS code, drug_key AS drug
    FROM core_condition_rx_fill
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
