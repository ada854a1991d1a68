-- The home's typed pharmacy_claim rows, kept across runs (pipelines/ingest/staging_store.py): every row of every stored
-- delivery, parsed once by the input contract (pipelines/ingest/typed_rows.py), with its file, row number, global
-- order (_seq, the version tie-breaker) and its row-check problems (NULL = good row). Rows of a run that
-- did not publish are removed when the next run starts. raw_pharmacy_claim is the run's view of it.
CREATE TABLE IF NOT EXISTS staged_pharmacy_claim (
    _delivery                  INTEGER NOT NULL,
    _file                      VARCHAR,
    _row                       BIGINT,
    _seq                       BIGINT,
    claim_id                   VARCHAR,
    member_id                  VARCHAR,
    fill_date                  DATE,
    ndc                        VARCHAR,
    days_supply                BIGINT,
    quantity                   DECIMAL(18, 4),
    gross_drug_cost            DECIMAL(18, 4),
    patient_pay_amount         DECIMAL(18, 4),
    plan_paid_amount           DECIMAL(18, 4),
    generic_name               VARCHAR,
    drug_name                  VARCHAR,
    prescriber_npi             VARCHAR,
    pharmacy_npi               VARCHAR,
    refill_number              BIGINT,
    part_d_covered             BOOLEAN,
    drug_coverage_status_code  VARCHAR,
    route                      VARCHAR,
    claim_status               VARCHAR,
    processed_at               TIMESTAMP,
    _problems                  STRUCT(column_name VARCHAR, reason VARCHAR, "value" VARCHAR)[]
)
