-- Macros every model may use. Each one states a rule of the specification in one place.


-- NDCs (input-contract.md): 11 digits kept; the hyphenated 10-digit shapes 4-4-2, 5-3-2, 5-4-1 are padded
-- to 5-4-2 by a leading zero in the short segment; anything else (an unhyphenated 10-digit string is
-- ambiguous) is NULL. pipelines/reference/ndc.py holds the same rule for the Python importers; a test
-- keeps the two in agreement.
CREATE OR REPLACE MACRO ndc_trimmed(x) AS trim(CAST(x AS VARCHAR), ' ' || chr(9) || chr(10) || chr(13));
CREATE OR REPLACE MACRO normalise_ndc(x) AS (
    CASE
        WHEN regexp_full_match(ndc_trimmed(x), '[0-9]{11}') THEN ndc_trimmed(x)
        WHEN regexp_full_match(ndc_trimmed(x), '[0-9]{4}-[0-9]{4}-[0-9]{2}')                 -- 4-4-2
            THEN '0' || replace(ndc_trimmed(x), '-', '')
        WHEN regexp_full_match(ndc_trimmed(x), '[0-9]{5}-[0-9]{3}-[0-9]{2}')                 -- 5-3-2
            THEN substr(ndc_trimmed(x), 1, 5) || '0' || substr(ndc_trimmed(x), 7, 3) || substr(ndc_trimmed(x), 11, 2)
        WHEN regexp_full_match(ndc_trimmed(x), '[0-9]{5}-[0-9]{4}-[0-9]{1}')                 -- 5-4-1
            THEN substr(ndc_trimmed(x), 1, 5) || substr(ndc_trimmed(x), 7, 4) || '0' || substr(ndc_trimmed(x), 12, 1)
        WHEN regexp_full_match(ndc_trimmed(x), '[0-9]{5}-[0-9]{4}-[0-9]{2}')                 -- 5-4-2
            THEN replace(ndc_trimmed(x), '-', '')
    END
);

-- ICD codes: dots removed, upper case ("E11.9" = "E119").
CREATE OR REPLACE MACRO normalise_icd(x) AS nullif(upper(replace(trim(x, ' ' || chr(9) || chr(13) || chr(10)), '.', '')), '');

-- Dates are ISO YYYY-MM-DD and must be real calendar dates.
CREATE OR REPLACE MACRO parse_date(x) AS (
    CASE WHEN regexp_full_match(x, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN try_cast(x AS DATE) END
);

-- (lists, not IN: DuckDB turns an IN list of five into a join, and a join in the read of a CSV loses
-- its file order, which numbers the rows)
CREATE OR REPLACE MACRO parse_bool(x) AS (
    CASE
        WHEN list_contains(['true', 't', '1', 'y', 'yes'], lower(x)) THEN true
        WHEN list_contains(['false', 'f', '0', 'n', 'no'], lower(x)) THEN false
    END
);

CREATE OR REPLACE MACRO parse_int(x) AS (
    CASE WHEN regexp_full_match(x, '[+-]?[0-9]+') THEN try_cast(x AS BIGINT) END
);

CREATE OR REPLACE MACRO parse_amount(x) AS try_cast(x AS DECIMAL(18, 4));

-- The audit cut-off (mtm run --as-known-at): a claim version processed after it was not known then and is
-- ignored everywhere (row checks, versions), as if absent from the extract. Rows without processed_at, or
-- with one that does not parse (rejected anyway), count as known. No cut-off: every row is known.
-- Called as known_at_cutoff(processed_at, (SELECT as_known_at FROM run_parameters)).
CREATE OR REPLACE MACRO known_at_cutoff(processed_at, as_known_at) AS (
    coalesce(try_cast(processed_at AS TIMESTAMP) <= as_known_at, true)
);

-- The claim-version rule (input-contract.md "Versions"), written once for every versioned table:
-- rows that passed the row checks, then per claim_id the version with the latest processed_at
-- (no processed_at sorts before any timestamp; ties keep row order, last wins). Whether the winning
-- version is a reversal is left to the caller.
-- Most claim ids have one version: only ids that occur more than once go through the (wide, costly)
-- choice of the winner; a claim id seen once is its own current version (claim_id is required, so
-- never NULL here). Repeats are found by the 64-bit hash of the claim id (a narrow aggregate that stays in
-- memory at tens of millions of fills); two different ids sharing a hash only send both through the
-- choice, which then groups by the claim id itself, so the result is the same.
CREATE OR REPLACE MACRO current_versions(raw_table, table_label) AS TABLE
    WITH valid AS NOT MATERIALIZED (
        SELECT *, hash(claim_id) AS _claim_hash
        FROM query_table(raw_table)
        WHERE _seq NOT IN (SELECT _seq FROM row_rejects WHERE table_name = table_label)
          AND known_at_cutoff(processed_at, (SELECT as_known_at FROM run_parameters))
    ),
    repeated_hash AS (
        SELECT _claim_hash FROM valid GROUP BY _claim_hash HAVING count(*) > 1
    ),
    winning_version AS (
        SELECT arg_max(_seq, (coalesce(try_cast(processed_at AS TIMESTAMP), TIMESTAMP '0001-01-01'), _seq)) AS _seq
        FROM valid
        WHERE _claim_hash IN (SELECT _claim_hash FROM repeated_hash)
        GROUP BY claim_id
    )
    SELECT * EXCLUDE (_claim_hash) FROM valid
    WHERE _claim_hash NOT IN (SELECT _claim_hash FROM repeated_hash) OR _seq IN (SELECT _seq FROM winning_version);

-- Arithmetic that must be exact for audit: money is never rounded through floating point.

-- a / b rounded half-up to a whole number, for a >= 0 and b > 0 (integers).
CREATE OR REPLACE MACRO div_round_half_up(a, b) AS (2 * a + b) // (2 * b);

-- Age in whole years on day d.
CREATE OR REPLACE MACRO age_on(birth, d) AS (
    year(d) - year(birth)
    - CASE WHEN month(d) < month(birth) OR (month(d) = month(birth) AND day(d) < day(birth)) THEN 1 ELSE 0 END
);

-- A Medicare Beneficiary Identifier in the CMS format (11 characters: 1 C A N C A N C C N N; C = a letter
-- other than S, L, O, I, B, Z; A = such a letter or a digit; N = a digit, the first one 1-9), given without
-- dashes or spaces and in upper case (mbi_normalised). Members without one are left out of the CMS file.
CREATE OR REPLACE MACRO mbi_normalised(x) AS nullif(upper(regexp_replace(coalesce(x, ''), '[-\s]', '', 'g')), '');
CREATE OR REPLACE MACRO is_valid_mbi(x) AS coalesce(regexp_full_match(mbi_normalised(x),
    '[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}'),
    false);

-- Intervals of days ("islands"), written once for every model that merges covered days (coverage spans,
-- PDC supply, the safety measures, the risk signals, drug interactions; tests/test_interval_macros.py).
-- Input: a table (or CTE) named by `intervals` with columns k (the partition: one value, a STRUCT when
-- several columns), s and e, both days (DATE or whole numbers), e INCLUSIVE. Output: k, island_start,
-- island_end: per k the union of the intervals as non-overlapping islands. Intervals that overlap or touch
-- (the next starts the day after the last ends) are one island. A caller with half-open [s, e) intervals
-- passes e - 1 and adds the 1 back.
CREATE OR REPLACE MACRO interval_islands(intervals) AS TABLE
    WITH _ordered AS (
        SELECT k, s, e,
            max(e) OVER (PARTITION BY k ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
        FROM query_table(intervals)
        WHERE s <= e
    ),
    _numbered AS (
        SELECT *,
            sum(CASE WHEN previous_end IS NULL OR s > previous_end + 1 THEN 1 ELSE 0 END)
                OVER (PARTITION BY k ORDER BY s, e) AS island
        FROM _ordered
    )
    SELECT k, min(s) AS island_start, max(e) AS island_end
    FROM _numbered
    GROUP BY k, island;

-- How many distinct kinds cover each day (the +1/-1 sweep). Input: `islands` with columns k, s, e
-- (inclusive days), the islands of each kind of one k (interval_islands per k x kind: one kind's islands
-- never overlap). Each island adds one kind on its first day and removes it the day after its last, so the
-- running sum over the boundaries is the number of kinds covering each segment between two boundaries.
-- Output: k, seg_start, seg_end (inclusive), kinds; every segment between the first and the last boundary
-- of k (kinds may be 0).
CREATE OR REPLACE MACRO interval_sweep(islands) AS TABLE
    WITH _change AS (
        SELECT k, b, sum(delta) AS delta
        FROM (SELECT k, s AS b, 1 AS delta FROM query_table(islands)
              UNION ALL
              SELECT k, e + 1, -1 FROM query_table(islands))
        GROUP BY k, b
    ),
    _segments AS (
        SELECT k, b AS seg_start, lead(b) OVER w - 1 AS seg_end, sum(delta) OVER w AS kinds
        FROM _change
        WINDOW w AS (PARTITION BY k ORDER BY b)
    )
    SELECT k, seg_start, seg_end, kinds FROM _segments WHERE seg_end IS NOT NULL;

-- The PDC supply shift (targeting-rules.md section 9, for the adherence-gap signal and the PDC measures):
-- overlapping fills of the same drug shift, a later fill starting the day after the earlier supply ends.
-- Input: `fills` with columns k (the partition: member x class or measure x drug), fill_date, claim_id
-- (the order of the fills), start_day (the fill's day as a whole number: the caller's day convention) and
-- days_supply. Output: every input column, and cover_start, cover_end: the supply's days as a half-open
-- interval [cover_start, cover_end) of the caller's days, cover_end = max over fills j <= k of
-- (start_day_j - supply before j) + supply through k.
CREATE OR REPLACE MACRO shifted_supply(fills) AS TABLE
    WITH _running AS (
        SELECT *,
            sum(days_supply) OVER w - days_supply AS _supply_before,
            sum(days_supply) OVER w               AS _supply_through
        FROM query_table(fills)
        WINDOW w AS (PARTITION BY k ORDER BY fill_date, claim_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    _shifted AS (
        SELECT *,
            max(start_day - CAST(_supply_before AS BIGINT)) OVER w + CAST(_supply_through AS BIGINT) AS cover_end
        FROM _running
        WINDOW w AS (PARTITION BY k ORDER BY fill_date, claim_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT * EXCLUDE (_supply_before, _supply_through), cover_end - days_supply AS cover_start FROM _shifted;
