-- The thresholds of the overlap risk signals (pipelines/reference/data/risk_signal_rules.csv,
-- PROVENANCE.md; targeting-rules.md section 8): per signal the trailing window (days up to D), how many
-- distinct kinds must cover a day at once, and how many such days flag the member.
--   duplicate_therapy: 2 drugs of one group together on at least 14 days of the last 90 (issue 25 item 9:
--   a switch, whose last fill runs a few days into the new drug's first, is not a duplicate).
SELECT
    signal,
    CAST(window_days AS INTEGER) AS window_days,
    CAST(min_kinds AS INTEGER)   AS min_kinds,
    CAST(min_days AS INTEGER)    AS min_days,
    source
FROM seed_risk_signal_rules
