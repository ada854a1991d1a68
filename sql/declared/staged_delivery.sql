-- The deliveries behind the home's stored typed staging (pipelines/ingest/staging_store.py): one row per extract
-- folder a run read (kind 'extract'), per source-adapter read ('adapter') and per read of the portal's recorded
-- contacts ('portal', never committed). committed = the run published; full_read = the run read its whole
-- extract (its rows replace every earlier delivery when it publishes). layout = the input contract the rows
-- were typed under: a delivery is only added to rows of the same layout.
CREATE TABLE IF NOT EXISTS staged_delivery (
    delivery_id INTEGER NOT NULL,
    run_id      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    extract_dir VARCHAR,
    layout      VARCHAR NOT NULL,
    full_read   BOOLEAN NOT NULL,
    committed   BOOLEAN NOT NULL,
    read_at     TIMESTAMP NOT NULL
)
