-- The quality measures this project reports (targeting-rules.md section 9), as data: one row per measure
-- with its display name, whether lower is better (COB and Poly-* are inverse measures), and its age rule
-- (age on 1 January of the measurement year, age_on = 'january_1', or on 31 December for SUPD, section 9
-- readings of 2026-12-07; null = no limit). kind says how members enter it.
SELECT * FROM (VALUES
    ('cmr_completion', 'CMR completion rate',                                              false, 18,   NULL, 'cmr',       1, 'january_1'),
    ('pdc_sta',        'Adherence: statins (PDC-STA)',                                      false, 18,   NULL, 'adherence', 2, 'january_1'),
    ('pdc_rasa',       'Adherence: RAS antagonists (PDC-RASA)',                             false, 18,   NULL, 'adherence', 3, 'january_1'),
    ('pdc_dr',         'Adherence: non-insulin diabetes drugs (PDC-DR)',                    false, 18,   NULL, 'adherence', 4, 'january_1'),
    ('supd',           'Statin use in persons with diabetes (SUPD)',                        false, 40,   75,   'supd',      5, 'december_31'),
    ('cob',            'Concurrent opioid and benzodiazepine use (COB), lower is better',   true,  18,   NULL, 'safety',    6, 'january_1'),
    ('poly_ach',       'Multiple anticholinergic medications (Poly-ACH), lower is better',  true,  65,   NULL, 'safety',    7, 'january_1'),
    ('poly_cns',       'Multiple CNS-active medications (Poly-CNS), lower is better',       true,  65,   NULL, 'safety',    8, 'january_1')
) AS t(measure_id, measure_name, lower_is_better, min_age, max_age, kind, display_order, age_on)
