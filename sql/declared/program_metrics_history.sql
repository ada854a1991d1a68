-- Program metrics of every published run (targeting-rules.md section 9), kept across runs so trends can be
-- drawn: one row per run as-of date x contract x month x metric, the number and the text published in
-- program_metrics.csv (small cells "<11"). Written when a run publishes, replacing the rows of a re-run
-- of the same as-of date (pipelines/publishing/exports/measures.py commit_program_metrics); program_metrics reads the
-- criteria counts of earlier months from it.
CREATE TABLE IF NOT EXISTS program_metrics_history (
    as_of_date    DATE NOT NULL,
    contract_id   VARCHAR NOT NULL,
    month         VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    value_numeric DOUBLE,
    value_display VARCHAR
)
