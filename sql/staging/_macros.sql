-- Small helpers shared by the staging models. Each one states a rule of input-contract.md.

-- normalise_ndc(x) (11 digits kept; 4-4-2, 5-3-2, 5-4-1 padded to 5-4-2) is created with the reference
-- tables from pipelines/reference/ndc.py, the one definition shared with the Python importers.

-- ICD codes: dots removed, upper case ("E11.9" = "E119").
CREATE OR REPLACE MACRO normalise_icd(x) AS nullif(upper(replace(trim(x), '.', '')), '');

-- Dates are ISO YYYY-MM-DD and must be real calendar dates.
CREATE OR REPLACE MACRO parse_date(x) AS (
    CASE WHEN regexp_full_match(x, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN try_cast(x AS DATE) END
);

CREATE OR REPLACE MACRO parse_bool(x) AS (
    CASE
        WHEN lower(x) IN ('true', 't', '1', 'y', 'yes') THEN true
        WHEN lower(x) IN ('false', 'f', '0', 'n', 'no') THEN false
    END
);

CREATE OR REPLACE MACRO parse_int(x) AS (
    CASE WHEN regexp_full_match(x, '[+-]?[0-9]+') THEN try_cast(x AS BIGINT) END
);

CREATE OR REPLACE MACRO parse_amount(x) AS try_cast(x AS DECIMAL(18, 4));

-- The claim-version rule (input-contract.md "Versions"), written once for every versioned table:
-- rows that passed the row checks, then per claim_id the version with the latest processed_at
-- (no processed_at sorts before any timestamp; ties keep row order, last wins). Whether the winning
-- version is a reversal is left to the caller.
CREATE OR REPLACE MACRO current_versions(raw_table, table_label) AS TABLE
    WITH valid AS (
        SELECT *
        FROM query_table(raw_table)
        WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = table_label)
    ),
    winning_version AS (
        SELECT arg_max(_seq, (coalesce(try_cast(processed_at AS TIMESTAMP), TIMESTAMP '0001-01-01'), _seq)) AS _seq
        FROM valid
        GROUP BY claim_id
    )
    SELECT * FROM valid WHERE _seq IN (SELECT _seq FROM winning_version);
