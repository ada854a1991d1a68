-- The home's typed dmp_arb rows, kept across runs (pipelines/ingest/staging_store.py): every row of every stored
-- delivery, parsed once by the input contract (pipelines/ingest/typed_rows.py), with its file, row number, global
-- order (_seq, the version tie-breaker) and its row-check problems (NULL = good row). Rows of a run that
-- did not publish are removed when the next run starts. raw_dmp_arb is the run's view of it.
CREATE TABLE IF NOT EXISTS staged_dmp_arb (
    _delivery       INTEGER NOT NULL,
    _file           VARCHAR,
    _row            BIGINT,
    _seq            BIGINT,
    member_id       VARCHAR,
    arb_start_date  DATE,
    arb_end_date    DATE,
    _problems       STRUCT(column_name VARCHAR, reason VARCHAR, "value" VARCHAR)[]
)
