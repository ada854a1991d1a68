-- Valid diagnosis codes (input-contract.md "Bad input"): every code of the ICD-10-CM and ICD-9-CM code sets
-- and every prefix of length >= 3 of it (category, subcategory or billable code; dots ignored), with the
-- first and last ICD-10-CM fiscal year it is valid in. seed_icd10cm_code_years lists the codes not valid in
-- every shipped year (PROVENANCE.md); a prefix is valid in the years of any code it begins. ICD-9-CM: no years.
-- The prefixes of a code are built as one list and unnested (a lateral join to range() per code was
-- several times slower for the ~100k codes, and this table is built on every run).
WITH years AS (
    SELECT code, CAST(first_fy AS INTEGER) AS first_fy, CAST(last_fy AS INTEGER) AS last_fy
    FROM seed_icd10cm_code_years
),
bounds AS (SELECT min(first_fy) AS first_fy, max(last_fy) AS last_fy FROM years),
icd10 AS (
    SELECT c.code, coalesce(y.first_fy, b.first_fy) AS first_fy, coalesce(y.last_fy, b.last_fy) AS last_fy
    FROM seed_icd10cm_codes AS c
    CROSS JOIN bounds AS b
    LEFT JOIN years AS y ON y.code = c.code
),
icd10_prefix AS (
    SELECT unnest([left(code, n) FOR n IN range(3, length(code) + 1)]) AS code, first_fy, last_fy
    FROM icd10
)
SELECT '10' AS icd_version, code, min(first_fy) AS first_fy, max(last_fy) AS last_fy
FROM icd10_prefix
GROUP BY code
UNION ALL
SELECT DISTINCT '9', unnest([left(code, n) FOR n IN range(3, length(code) + 1)]), CAST(NULL AS INTEGER),
       CAST(NULL AS INTEGER)
FROM seed_icd9cm_codes
