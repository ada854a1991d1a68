-- The MTM enrollment ledger (targeting-rules.md section 6): member x contract x contract year, kept across
-- runs. Written only when a run publishes, in one transaction (pipelines/publishing/publish.py), or by `mtm ledger
-- import` (a seeded roster, pipelines/publishing/ledger.py); every run reads it through tgt_ledger_next. Enrollment
-- dates never change once written. enrollment_source: run, seed, inferred_from_events, rollover. The
-- targeting reason is recorded when the member enrolls and never recomputed (outputs.md, CMS record);
-- targeting_reason_source says where it came from: enrollment (the run that enrolled the member), seed (the
-- roster), rollover (last year's row), filled_after_enrollment (a row written before reasons were recorded:
-- filled once, at the first later run at which the member met the criteria); empty = not known.
-- Opt-outs are facts of seeded rows only (runs derive opt-outs as of D). A ledger written before a column
-- existed gains it, empty (pipelines.engine.models.create_declared).
CREATE TABLE IF NOT EXISTS mtm_enrollment_ledger (
    member_id           VARCHAR NOT NULL,
    contract_id         VARCHAR NOT NULL,
    contract_year       INTEGER NOT NULL,
    mtm_enrollment_date DATE NOT NULL,
    date_met_criteria   DATE,
    enrollment_source   VARCHAR,
    targeting_reason    VARCHAR,
    opt_out_date        DATE,
    opt_out_reason      VARCHAR,
    targeting_reason_source VARCHAR
)
