-- The counted fills of the contract year to date (1 January of CY .. D) of the drugs that the
-- year-to-date rules look at, each with its drug-reference flags, selected once for all of them:
--   PDC (targeting-rules.md section 9 and the adherence-gap signal of section 8): statins, RAS
--     antagonists, non-insulin diabetes drugs; sacubitril/valsartan and insulin (exclusions);
--   SUPD: diabetes drugs (supd_diabetes: every A10B drug -- acarbose and miglitol included -- and
--     insulins; section 9 readings of 2026-12-07), statins, and from MY2026 PCSK9 inhibitors and
--     bempedoic acid;
--   COB, Poly-ACH, Poly-CNS: opioids, benzodiazepines, anticholinergic and CNS-active drugs, where
--     pqa_opioid is the measures' opioid (section 9 readings of 2026-12-07): a product with an opioid
--     analgesic ingredient (ref_drug.opioid_analgesic: N02A, and hydrocodone), not a buprenorphine
--     product for opioid use disorder (the product's code is N07BC, buprenorphine with naloxone, or
--     sublingual buprenorphine), not an injectable; and poly_cns_active is a CNS-active drug whose
--     opioid part follows the same rule (an injectable opioid is no CNS-active drug for Poly-CNS).
-- systemic: the one definition of systemic exposure (core_fill_product, sections 8 and 9).
-- Class flags come from ref_drug, which gives a combination product the classes of its ingredients.
-- A fill covers fill_date .. last_covered_day. Each reader cuts the fills at its own period end (the
-- member's measure period, or the signal's period) and applies its own rules; a fill of a drug the
-- reference does not know, or of a drug with none of these flags, is in none of those rules.
-- contract_id: the contract whose span covers the fill date (the latest-starting such span, as for the
-- contract at D): a member who changes contracts is measured in each contract with that contract's fills
-- (targeting-rules.md section 9, 2026-12-07; issue 25 item 12). The spans are first cut into pieces
-- between their start and end days, each piece with the contract of the latest-starting span covering it, so
-- a fill meets one piece instead of choosing among its spans per fill (issue 27).
WITH p AS (SELECT *, make_date(contract_year, 1, 1) AS cy_start FROM run_parameters),
bound AS (  -- the days on which the set of a member's spans covering the day can change
    SELECT member_id, span_start AS b FROM core_member_span
    UNION
    SELECT member_id, span_end + 1 FROM core_member_span
),
piece AS (
    SELECT member_id, b AS piece_start, lead(b) OVER (PARTITION BY member_id ORDER BY b) - 1 AS piece_end
    FROM bound
),
piece_contract AS (  -- every span covering a piece covers all of it: the latest-starting one gives the contract
    SELECT g.member_id, g.piece_start, g.piece_end,
           arg_max(s.contract_id, (s.span_start, s._seq)) AS contract_id  -- never NULL: a required column
    FROM piece AS g
    JOIN core_member_span AS s
      ON s.member_id = g.member_id AND s.span_start <= g.piece_start AND s.span_end >= g.piece_end
    WHERE g.piece_end IS NOT NULL
    GROUP BY g.member_id, g.piece_start, g.piece_end
),
flagged AS (
    SELECT
        f.member_id,
        f.claim_id,
        f.drug_key,
        f.fill_date,
        f.days_supply,
        f.last_covered_day,
        f.local_use,
        f.systemic,
        f.weight_management,
        d.drug_class,
        coalesce(d.pqa_statin, false)               AS pqa_statin,
        coalesce(d.pqa_ras, false)                  AS pqa_ras,
        coalesce(d.pqa_diabetes_noninsulin, false)  AS pqa_diabetes_noninsulin,
        coalesce(d.pqa_insulin, false)              AS pqa_insulin,
        coalesce(d.pqa_sacubitril_valsartan, false) AS pqa_sacubitril_valsartan,
        coalesce(d.opioid, false)                   AS opioid,
        coalesce(d.benzodiazepine, false)           AS benzodiazepine,
        coalesce(d.anticholinergic, false)          AS anticholinergic,
        coalesce(d.cns_active, false)               AS cns_active,
        coalesce(d.opioid_analgesic, false)
            AND NOT (list_contains(string_split(f.drug_key, ' / '), 'buprenorphine')
                     AND (list_contains(string_split(f.drug_key, ' / '), 'naloxone')
                          OR coalesce(f.route, '') = 'sublingual'
                          OR (len(f.atc_codes) > 0 AND list_bool_and(list_transform(f.atc_codes, c -> starts_with(c, 'N07BC'))))))
            AND coalesce(f.route, '') NOT IN ('injection', 'intramuscular', 'intravenous', 'subcutaneous', 'intradermal')
                                                    AS pqa_opioid,
        coalesce(d.pqa_insulin OR d.pqa_diabetes_noninsulin, false)
            OR len(list_filter(f.atc_codes, c -> starts_with(c, 'A10A') OR starts_with(c, 'A10B'))) > 0
                                                    AS supd_diabetes
    FROM core_fill AS f
    CROSS JOIN p
    LEFT JOIN ref_drug AS d ON d.drug_key = f.drug_key
    WHERE f.fill_status = 'counted'
      AND f.fill_date BETWEEN p.cy_start AND p.as_of_date
)
SELECT
    fl.*,
    (fl.cns_active AND NOT fl.opioid) OR fl.pqa_opioid AS poly_cns_active,
    s.contract_id
FROM flagged AS fl
-- pieces of one member never overlap, so a fill meets at most one
JOIN piece_contract AS s ON s.member_id = fl.member_id AND fl.fill_date BETWEEN s.piece_start AND s.piece_end
WHERE fl.pqa_statin OR fl.pqa_ras OR fl.pqa_diabetes_noninsulin OR fl.pqa_insulin OR fl.pqa_sacubitril_valsartan
   OR fl.opioid OR fl.benzodiazepine OR fl.anticholinergic OR fl.cns_active OR fl.supd_diabetes
   OR fl.drug_class = 'pcsk9_inhibitor' OR fl.drug_key LIKE '%bempedoic acid%'
