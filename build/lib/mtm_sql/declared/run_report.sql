-- What each run recorded about itself for its run_manifest.json (input files with SHA-256, rows read,
-- absent tables, warnings, Great Expectations results, time per asset): one row per run x step x key, value
-- as JSON. Member-level data never goes here (no PHI, no member ids).
CREATE TABLE IF NOT EXISTS run_report (
    run_id      VARCHAR NOT NULL,
    step        VARCHAR NOT NULL,
    key         VARCHAR NOT NULL,
    value       JSON,
    recorded_at TIMESTAMP NOT NULL DEFAULT current_timestamp
)
