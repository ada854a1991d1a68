-- The run's parameters, one row: the as-of date D and the plan settings in force (targeting-rules.md
-- sections 0-8), resolved against the CMS limits of the contract year (pipelines/settings.py). Every model
-- reads D and the settings from here, never from code. Rebuilt by every run.
CREATE OR REPLACE TABLE run_parameters (
    as_of_date                  DATE NOT NULL,
    contract_year               INTEGER NOT NULL,
    min_core_conditions         INTEGER NOT NULL,
    min_part_d_drugs            INTEGER NOT NULL,
    drug_count_scope            VARCHAR NOT NULL,
    cost_method                 VARCHAR NOT NULL,
    cost_threshold              DECIMAL(18, 2) NOT NULL,
    core_disease_set            INTEGER NOT NULL,
    core_disease_count          INTEGER NOT NULL,
    use_dx_evidence             BOOLEAN NOT NULL,
    use_rx_evidence             BOOLEAN NOT NULL,
    drug_lookback_days          INTEGER NOT NULL,
    cost_lookback_days          INTEGER NOT NULL,
    dx_lookback_days            INTEGER NOT NULL,
    rx_condition_lookback_days  INTEGER NOT NULL,
    rollover_enrollees          BOOLEAN NOT NULL,
    outreach_include_hospice    BOOLEAN NOT NULL,
    ddi_min_overlap_days        INTEGER NOT NULL,
    tmr_grace_days              INTEGER NOT NULL,
    priority_urgency            DOUBLE NOT NULL,
    priority_risk_signals       DOUBLE NOT NULL,
    priority_dmp_at_risk        DOUBLE NOT NULL,
    priority_core_conditions    DOUBLE NOT NULL,
    priority_part_d_drugs       DOUBLE NOT NULL,
    priority_projected_cost     DOUBLE NOT NULL,
    priority_drug_interaction   DOUBLE NOT NULL,
    member_status_delivered     BOOLEAN NOT NULL,
    as_known_at                 TIMESTAMP               -- the audit cut-off (mtm run --as-known-at), or NULL
)
