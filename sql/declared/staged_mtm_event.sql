-- The home's typed mtm_event rows, kept across runs (pipelines/ingest/staging_store.py): every row of every stored
-- delivery, parsed once by the input contract (pipelines/ingest/typed_rows.py), with its file, row number, global
-- order (_seq, the version tie-breaker) and its row-check problems (NULL = good row). Rows of a run that
-- did not publish are removed when the next run starts. raw_mtm_event is the run's view of it.
CREATE TABLE IF NOT EXISTS staged_mtm_event (
    _delivery             INTEGER NOT NULL,
    _file                 VARCHAR,
    _row                  BIGINT,
    _seq                  BIGINT,
    member_id             VARCHAR,
    event_date            DATE,
    event_type            VARCHAR,
    contract_id           VARCHAR,
    channel               VARCHAR,
    outcome               VARCHAR,
    delivery_method       VARCHAR,
    recipient             VARCHAR,
    provider_type         VARCHAR,
    opt_out_reason        VARCHAR,
    cognitively_impaired  BOOLEAN,
    dtp_id                VARCHAR,
    dtp_type              VARCHAR,
    drug_key              VARCHAR,
    prescriber_npi        VARCHAR,
    prescriber_response   VARCHAR,
    _problems             STRUCT(column_name VARCHAR, reason VARCHAR, "value" VARCHAR)[]
)
