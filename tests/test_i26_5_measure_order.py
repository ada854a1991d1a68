"""Issue 26 item 5 (layout), the measures chart: its bars stand in the measure order (CMR completion, then
the PDC measures, SUPD, COB, Poly-ACH, Poly-CNS), also when a measure has no rate to draw (too small to rate,
or hidden on the shareable page). Vega unions the layers' domains in the order it meets the values, so a
measure without a bar used to drop to the bottom. The chart is drawn by the real Vega (vl-convert, as at
publish) from the rows the page builds."""

from __future__ import annotations

import copy
import re

import vl_convert

from pipelines.publishing.exports.dashboard import ALL, MEASURE_ORDER, DashboardData, short_measure_label, vega_specs


def measure(contract: str, measure_id: str, rate: float | None) -> dict:
    hidden = rate is None
    return {"contract_id": contract, "measure_id": measure_id, "measure_name": measure_id,
            "numerator": None if hidden else 40, "denominator": None if hidden else 80, "rate": rate,
            "rate_hidden": False, "year_end_low": None if hidden else rate - 0.05,
            "year_end_high": None if hidden else rate + 0.1, "range_hidden": False,
            "recoverable_members": 3, "too_small": hidden, "lower_is_better": measure_id in ("cob", "poly_ach",
                                                                                        "poly_cns")}


def drawn_order(rows: list[dict]) -> list[str]:
    """The measure labels in the order the real Vega draws them on the y axis (top to bottom)."""
    spec = copy.deepcopy(vega_specs()["measures"])
    for data in spec["data"]:
        if data["name"] == "rows":
            data["values"] = rows
    svg = vl_convert.vega_to_svg(spec)
    labels = {r["measure"] for r in rows}
    return list(dict.fromkeys(t for t in re.findall(r">([^<]+)</text>", svg) if t in labels))


def test_bars_follow_the_measure_order_even_when_a_measure_has_no_rate():
    # SUPD too small to rate in both contracts; COB has no rate in one of them
    rates = {"cmr_completion": 0.6, "pdc_sta": 0.85, "pdc_rasa": 0.8, "pdc_dr": 0.82, "supd": None, "cob": 0.2,
             "poly_ach": 0.07, "poly_cns": 0.02}
    measures = [measure(c, m, None if (m == "cob" and c == "H1") else r)
                for c in ("H1", "H2") for m, r in reversed(rates.items())]  # read in any order
    data = DashboardData({("H1", "funnel", "part_d_enrollees", ""): 100}, measures, None, [], {}, shareable=False)
    for view in (ALL, "H1"):
        rows = data.measure_chart([m for m in measures if view == ALL or m["contract_id"] == view], view)["rows"]
        expected = [short_measure_label(measure("H1", m, 0.5)) for m in MEASURE_ORDER]
        assert drawn_order(rows) == expected, view
