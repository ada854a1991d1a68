-- A plan's own NDC facts (`mtm reference import`: FDA NDC Directory files or the plan's crosswalk), kept in
-- the warehouse across runs; they take precedence over the shipped NDC map (ref_ndc).
CREATE TABLE IF NOT EXISTS ref_ndc_import (
    ndc11       VARCHAR PRIMARY KEY,
    drug_key    VARCHAR NOT NULL,
    route       VARCHAR,
    dosage_form VARCHAR,
    atc_code    VARCHAR,
    source      VARCHAR NOT NULL,
    imported_at TIMESTAMP NOT NULL
)
