-- Arithmetic that must be exact for audit: money is never rounded through floating point.

-- a / b rounded half-up to a whole number, for a >= 0 and b > 0 (integers).
CREATE OR REPLACE MACRO div_round_half_up(a, b) AS (2 * a + b) // (2 * b);

-- Age in whole years on day d.
CREATE OR REPLACE MACRO age_on(birth, d) AS (
    year(d) - year(birth)
    - CASE WHEN month(d) < month(birth) OR (month(d) = month(birth) AND day(d) < day(birth)) THEN 1 ELSE 0 END
);
