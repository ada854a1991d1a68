-- Projected annual drug cost (targeting-rules.md section 3): gross cost of counted fills dated in the
-- cost window, times 365, divided by the days of the window on which the member had Part D coverage
-- (at least 30), rounded half-up to cents with exact decimal arithmetic.
WITH p AS (SELECT * FROM run_parameters),
cost_window AS (
    SELECT
        CASE p.cost_method
            WHEN 'trailing' THEN p.as_of_date - (p.cost_lookback_days - 1)
            ELSE make_date(p.contract_year, 1, 1)
        END AS window_start,
        p.as_of_date AS window_end
    FROM p
),
covered AS (
    SELECT
        i.member_id,
        sum(greatest(0, date_diff('day', greatest(i.island_start, w.window_start),
                                         least(i.island_end, w.window_end)) + 1)) AS covered_days
    FROM core_member_coverage AS i, cost_window AS w
    GROUP BY i.member_id
),
spend AS (
    SELECT f.member_id, sum(f.gross_drug_cost) AS window_cost
    FROM core_fill AS f, cost_window AS w
    WHERE f.fill_status = 'counted' AND f.fill_date BETWEEN w.window_start AND w.window_end
    GROUP BY f.member_id
)
SELECT
    m.member_id,
    coalesce(s.window_cost, 0)                                      AS window_cost,
    coalesce(c.covered_days, 0)                                     AS covered_days,
    greatest(30, coalesce(c.covered_days, 0))                       AS annualisation_days,
    CAST(
        div_round_half_up(
            CAST(round(coalesce(s.window_cost, 0) * 10000) AS HUGEINT) * 365,
            CAST(greatest(30, coalesce(c.covered_days, 0)) AS HUGEINT) * 100
        ) / 100 AS DECIMAL(18, 2)
    )                                                                AS projected_annual_cost
FROM core_member AS m
LEFT JOIN spend AS s ON s.member_id = m.member_id
LEFT JOIN covered AS c ON c.member_id = m.member_id
