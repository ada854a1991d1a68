-- Part D enrollment spans: one row per member per span, valid and free of overlaps.
SELECT *
FROM stg_eligibility_rows
WHERE _seq NOT IN (SELECT _seq FROM stg_eligibility_overlap)
