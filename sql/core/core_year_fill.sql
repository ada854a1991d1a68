-- The counted fills of the contract year to date (1 January of CY .. D) of the drugs that the
-- year-to-date rules look at, each with its drug-reference flags, selected once for all of them:
--   PDC (targeting-rules.md section 9 and the adherence-gap signal of section 8): statins, RAS
--     antagonists, non-insulin diabetes drugs; sacubitril/valsartan and insulin (exclusions);
--   SUPD: diabetes drugs (non-insulin or insulin), statins, and from MY2026 PCSK9 inhibitors and
--     bempedoic acid;
--   COB, Poly-ACH, Poly-CNS: opioids, benzodiazepines, anticholinergic and CNS-active drugs.
-- A fill covers fill_date .. last_covered_day. Each reader cuts the fills at its own period end (the
-- member's measure period, or the signal's period) and applies its own rules; a fill of a drug the
-- reference does not know, or of a drug with none of these flags, is in none of those rules.
-- contract_id: the contract whose span covers the fill date (the latest-starting such span, as for the
-- contract at D): a member who changes contracts is measured in each contract with that contract's fills
-- (targeting-rules.md section 9, 2026-12-07; issue 25 item 12).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters)
SELECT
    f.member_id,
    f.claim_id,
    f.drug_key,
    f.fill_date,
    f.days_supply,
    f.last_covered_day,
    f.local_use,
    f.weight_management,
    d.drug_class,
    d.pqa_statin,
    d.pqa_ras,
    d.pqa_diabetes_noninsulin,
    d.pqa_insulin,
    d.pqa_sacubitril_valsartan,
    d.opioid,
    d.benzodiazepine,
    d.anticholinergic,
    d.cns_active,
    s.contract_id
FROM core_fill AS f
JOIN ref_drug AS d ON d.drug_key = f.drug_key
JOIN core_member_span AS s ON s.member_id = f.member_id AND f.fill_date BETWEEN s.span_start AND s.span_end
CROSS JOIN p
WHERE f.fill_status = 'counted'
  AND f.fill_date BETWEEN p.cy_start AND p.as_of_date
  AND (d.pqa_statin OR d.pqa_ras OR d.pqa_diabetes_noninsulin OR d.pqa_insulin OR d.pqa_sacubitril_valsartan
       OR d.opioid OR d.benzodiazepine OR d.anticholinergic OR d.cns_active
       OR d.drug_class = 'pcsk9_inhibitor' OR f.drug_key LIKE '%bempedoic acid%')
QUALIFY row_number() OVER (PARTITION BY f.member_id, f.claim_id ORDER BY s.span_start DESC, s._seq DESC) = 1
