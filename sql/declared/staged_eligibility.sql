-- The home's typed eligibility rows, kept across runs (pipelines/ingest/staging_store.py): every row of every stored
-- delivery, parsed once by the input contract (pipelines/ingest/typed_rows.py), with its file, row number, global
-- order (_seq, the version tie-breaker) and its row-check problems (NULL = good row). Rows of a run that
-- did not publish are removed when the next run starts. raw_eligibility is the run's view of it.
CREATE TABLE IF NOT EXISTS staged_eligibility (
    _delivery              INTEGER NOT NULL,
    _file                  VARCHAR,
    _row                   BIGINT,
    _seq                   BIGINT,
    member_id              VARCHAR,
    mbi                    VARCHAR,
    contract_id            VARCHAR,
    pbp_id                 VARCHAR,
    enrollment_start_date  DATE,
    enrollment_end_date    DATE,
    birth_date             DATE,
    sex                    VARCHAR,
    death_date             DATE,
    first_name             VARCHAR,
    last_name              VARCHAR,
    phone                  VARCHAR,
    address_line           VARCHAR,
    city                   VARCHAR,
    state                  VARCHAR,
    zip_code               VARCHAR,
    preferred_language     VARCHAR,
    ltc_resident           BOOLEAN,
    hospice                BOOLEAN,
    esrd                   BOOLEAN,
    lis                    BOOLEAN,
    _problems              STRUCT(column_name VARCHAR, reason VARCHAR, "value" VARCHAR)[]
)
