-- The severity weight of each medication-risk signal in force for the run (targeting-rules.md section 8:
-- "a weight per signal", plan settings [priority]; pipelines/run_state/settings.py SIGNAL_WEIGHTS), one row per
-- signal. 'other_signal' weighs a signal of tgt_risk_signal that has no weight of its own. Rebuilt by
-- every run with run_parameters.
CREATE OR REPLACE TABLE run_signal_weight (
    signal  VARCHAR NOT NULL,
    weight  DOUBLE NOT NULL
)
