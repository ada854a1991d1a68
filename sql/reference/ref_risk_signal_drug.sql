-- Ingredients that count for an overlap risk signal besides the drug reference's flag
-- (pipelines/reference/data/risk_signal_drugs.csv, PROVENANCE.md; targeting-rules.md section 8): the
-- skeletal muscle relaxants of AGS Beers 2023 are CNS-active for the cns_polypharmacy signal. A drug
-- counts when one of its ingredients is listed (a combination product counts for each). The PQA
-- Poly-CNS measure keeps the drug reference's cns_active flag (PQA does not count muscle relaxants).
SELECT signal, ingredient, reason, source
FROM seed_risk_signal_drugs
