-- Small helpers shared by the staging models. Each one states a rule of input-contract.md.

-- NDC: 11 digits kept as text (leading zeros survive); the hyphenated 10-digit forms are padded to
-- 5-4-2: 4-4-2 pads the labeler, 5-3-2 the product, 5-4-1 the package. Anything else is not an NDC.
CREATE OR REPLACE MACRO normalise_ndc(x) AS (
    CASE
        WHEN regexp_full_match(x, '[0-9]{11}') THEN x
        WHEN regexp_full_match(x, '[0-9]{5}-[0-9]{4}-[0-9]{2}') THEN replace(x, '-', '')
        WHEN regexp_full_match(x, '[0-9]{4}-[0-9]{4}-[0-9]{2}') THEN '0' || replace(x, '-', '')
        WHEN regexp_full_match(x, '[0-9]{5}-[0-9]{3}-[0-9]{2}')
            THEN substr(x, 1, 5) || '0' || substr(x, 7, 3) || substr(x, 11, 2)
        WHEN regexp_full_match(x, '[0-9]{5}-[0-9]{4}-[0-9]{1}')
            THEN substr(x, 1, 5) || substr(x, 7, 4) || '0' || substr(x, 12, 1)
    END
);

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
