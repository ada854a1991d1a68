-- The files of each stored delivery (pipelines/ingest/staging_store.py), as the run manifest lists them: table, file,
-- format, size, SHA-256 and rows read; ordinal = the file's place in the global read order (_seq = ordinal *
-- 10^10 + row), so a new delivery's rows come after every stored row.
CREATE TABLE IF NOT EXISTS staged_file (
    delivery_id INTEGER NOT NULL,
    ordinal     INTEGER NOT NULL,
    table_name  VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    bytes       BIGINT NOT NULL,
    sha256      VARCHAR NOT NULL,
    "rows"      BIGINT NOT NULL
)
