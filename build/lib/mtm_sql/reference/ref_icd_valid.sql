-- Valid diagnosis codes (input-contract.md "Bad input"): every code of the ICD-10-CM and ICD-9-CM code sets
-- and every prefix of length >= 3 of it (category, subcategory or billable code; dots ignored).
SELECT DISTINCT '10' AS icd_version, left(c.code, r.n) AS code
FROM seed_icd10cm_codes AS c, range(3, length(c.code) + 1) AS r(n)
UNION ALL
SELECT DISTINCT '9', left(c.code, r.n)
FROM seed_icd9cm_codes AS c, range(3, length(c.code) + 1) AS r(n)
