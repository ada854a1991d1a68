-- Diagnosis exclusions of the PQA measures (targeting-rules.md section 9), as ICD-10-CM prefixes (dots
-- removed; a code matches when it starts with a prefix). A member is excluded when a valid code of a
-- current medical claim dated in the measurement year (1 January .. D) matches. Hospice claims count.
--   SUPD: rhabdomyolysis/myopathy, pregnancy/lactation (with fertility: O00-O9A, Z33, Z34, Z3A, Z39.1,
--         N97 female infertility, Z31 procreative management; section 9 readings of 2026-12-07),
--         cirrhosis, pre-diabetes, PCOS, ESRD
--   COB: cancer, sickle-cell disease, palliative care (Z51.5)        Poly-CNS: seizure disorder
-- The official PQA value sets are licensed; these are the project's own readings of the named conditions.
SELECT * FROM (VALUES
    ('supd', 'rhabdomyolysis_myopathy', 'M6282'), ('supd', 'rhabdomyolysis_myopathy', 'G720'),
    ('supd', 'rhabdomyolysis_myopathy', 'G722'),  ('supd', 'rhabdomyolysis_myopathy', 'G729'),
    ('supd', 'rhabdomyolysis_myopathy', 'G7289'),
    ('supd', 'pregnancy_lactation', 'O'),          ('supd', 'pregnancy_lactation', 'Z33'),
    ('supd', 'pregnancy_lactation', 'Z34'),        ('supd', 'pregnancy_lactation', 'Z3A'),
    ('supd', 'pregnancy_lactation', 'Z391'),
    ('supd', 'pregnancy_lactation', 'N97'),         ('supd', 'pregnancy_lactation', 'Z31'),
    ('supd', 'cirrhosis', 'K703'),                 ('supd', 'cirrhosis', 'K717'),
    ('supd', 'cirrhosis', 'K743'),                 ('supd', 'cirrhosis', 'K744'),
    ('supd', 'cirrhosis', 'K745'),                 ('supd', 'cirrhosis', 'K746'),
    ('supd', 'prediabetes', 'R7303'),              ('supd', 'prediabetes', 'R7309'),
    ('supd', 'pcos', 'E282'),
    ('supd', 'esrd', 'N186'),                      ('supd', 'esrd', 'Z992'),
    ('cob', 'cancer', 'C'),                        ('cob', 'sickle_cell', 'D57'),
    ('cob', 'palliative_care', 'Z515'),
    ('poly_cns', 'seizure_disorder', 'G40')
) AS t(measure_id, exclusion_reason, icd10_prefix)
