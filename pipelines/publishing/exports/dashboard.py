"""``dashboard.html``: the program dashboard quality teams open from the run folder (outputs.md).

One self-contained page: Vega-Lite charts (built with Altair) and the Vega / Vega-Lite / vega-embed
JavaScript inlined from the ``vl-convert-python`` wheel, so it opens from disk with no network and keeps
working in ten years.  Every contract's figures are embedded and a selector switches between them in
the browser.

Two pages are built from the same figures (targeting-rules.md section 10): ``dashboard.html`` for the plan's
own quality team, with exact counts (the plan may see its own numbers), and ``dashboard_shareable.html``, made
to be shared outside the plan, where counts from 1 to 10 read "<11" with complementary suppression
(``pipelines.publishing.privacy``, the one algorithm of every shared output), a rate whose numerator or denominator is
hidden reads "suppressed" too. Both are built from aggregates only — no member id, name or birth date is
ever read into them.  Sources: the ``dashboard_counts`` table (member counts of this run), the run folder's
``quality_measures.csv`` and ``program_metrics.csv`` and those of earlier runs of the same contract
year (trends), and the run manifest (data quality).  A file that is absent makes its panel say "not
computed in this run" instead of failing.
"""

from __future__ import annotations

import csv
import functools
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import jinja2

from pipelines.publishing.exports.outreach import SERVICE_TITLES, TMR_SHEET
from pipelines.publishing.privacy import (
    COMPLEMENTARY_LABEL,
    HIDDEN_LABELS,
    SUPPRESSED,
    is_small,
    suppress_groups,
    suppress_small_counts,
)

if TYPE_CHECKING:  # altair takes seconds to import: loaded when the dashboard is drawn, not at `mtm run` start
    import altair as alt

ALL = "all"
PLAN_WIDE = "Plan-wide"
#: a value that does not exist (no rate, no range): never written "—", which read as "suppressed" too (item 4)
NOT_APPLICABLE = "n/a"
NOT_COMPUTED = "Not computed in this run."
NO_MEASURES = "Not computed in this run: the run folder has no quality_measures.csv."
NO_METRICS = "Not computed in this run: no program_metrics.csv in this or earlier runs of the year."
NO_HISTORY = "Not computed in this run: no quality_measures.csv in this or earlier runs of the year."

#: the targeting funnel at the as-of date (member_summary); each step is a subset of the one before
FUNNEL_STEPS = {
    "part_d_enrollees": "Part D enrollees",
    "meets_conditions": "Meet the conditions criterion",
    "meets_drugs": "Meet the drugs criterion",
    "meets_cost": "Meet the cost criterion",
    "meets_criteria": "Meet the MTM criteria",
}
#: the contract year's MTM program (the enrollment ledger): each step a subset of the one before; enrollment
#: lasts the year, so it is not a step of the funnel above (after a backfill it may exceed "meet the criteria")
PROGRAM_STEPS = {
    "enrolled_this_year": "Enrolled in MTM this year",
    "cmr_offered": "Offered a CMR",
    "cmr_completed": "Completed a CMR",
    "cmr_counted": "CMR counted for the measure",
}
REASONS = {
    "01": "Conditions, drugs and cost",
    "02": "At-risk beneficiary (drug management program)",
    "03": "Both",
    "04": "Not targeted",
}
OPT_OUT_REASONS = {"requested": "Asked to opt out", "death": "Died", "disenrolled": "Left the contract",
                   "other": "Other reason"}
SERVICE_STATUS = {"due": "Due", "overdue": "Overdue"}
#: drug therapy problem types (input-contract.md mtm_event) as the medication-review panel names them
DTP_TYPE_LABELS = {
    "needs_additional_therapy": "Needs additional therapy", "unnecessary_drug": "Unnecessary drug",
    "ineffective_drug": "Ineffective drug", "dose_too_low": "Dose too low", "dose_too_high": "Dose too high",
    "adverse_drug_event": "Adverse drug event", "drug_interaction": "Drug interaction",
    "nonadherence": "Nonadherence", "cost": "Cost", "other": "Other", "unspecified": "Type not recorded",
}
#: program metrics that are not counts (a rate, a number of days): never suppressed as a small count
NOT_COUNT_SUFFIXES = ("_rate", "_median_days")
IDENTITY_LEVELS = {"ndc": "By NDC", "ndc_product": "By the NDC's product (another package)",
                   "generic_name": "By generic name", "ndc9": "Not identified (nine-digit NDC kept)",
                   "compound": "Compound"}
TREND_METRICS = {
    "mtm_enrolled_cumulative": "Enrolled in MTM this year (cumulative)",
    "cmr_completed": "CMRs completed in the month",
    "cmr_offered_within_60_days_rate": "CMR offered within 60 days (rate)",
}
MEASURE_COLUMNS = ["Measure", "Contract", "Numerator", "Denominator", "Rate", "Year-end range",
                   "Recoverable members", "Target", "Note"]
DEFINITIONS_CSV = Path(__file__).with_name("measure_definitions.csv")
#: files of the run the plan's own page links to (relative: they sit beside the page, on disk and in the portal)
RUN_FILES = ("quality_measures.csv", "program_metrics.csv", "outreach_list.xlsx", "tmr_worklist.csv")
MEASURE_ORDER = ["cmr_completion", "pdc_sta", "pdc_rasa", "pdc_dr", "supd", "cob", "poly_ach", "poly_cns"]

# Which counts add up to which (a hidden cell must not be recoverable from them; pipelines.publishing.privacy).
REASON_GROUPS = [
    [("reason", "01"), ("reason", "02"), ("reason", "03"), ("reason", "04"), ("funnel", "part_d_enrollees")],
    [("reason", "01"), ("reason", "02"), ("reason", "03"), ("funnel", "meets_criteria")],
    [("reason", "04"), ("funnel", "meets_criteria"), ("funnel", "part_d_enrollees")],
]
#: counts of the program panel (and the funnel) nested in one another: (whole, part). The page shows both; the
#: difference (enrolled but not offered, offered but not completed, ...) is implied, so it is protected as an
#: unpublished cell of the equation whole = part + difference (targeting-rules.md section 10)
NESTED_COUNTS = [
    (("program", "enrolled_this_year"), ("program", "cmr_offered")),
    (("program", "cmr_offered"), ("program", "cmr_completed")),
    (("program", "cmr_completed"), ("program", "cmr_counted")),
    (("program", "enrolled_this_year"), ("program", "mtm_enrolled")),
    (("program", "mtm_enrolled"), ("program", "enrolled_not_meeting_criteria")),
]
#: enrolled at D and still meeting the criteria (mtm_enrolled - enrolled_not_meeting_criteria) is part of the
#: funnel's "meet the MTM criteria": the rest are members who meet the criteria and are not enrolled (opted out)
ENROLLED_MEETING = ("program", "mtm_enrolled-enrolled_not_meeting_criteria")
ADDITIVE_PANELS = ("service", "opt_out", "dtp_type")  # dtp_type: the types add up to the problems recommended

TEMPLATE = Path(__file__).with_name("templates") / "dashboard.html.j2"


# ---------------------------------------------------------------------------------------------- reading

@functools.cache
def measure_definitions() -> dict[str, dict[str, str]]:
    """measure_id -> short label and one-line definition (item 5: each measure links to its definition)."""
    with DEFINITIONS_CSV.open(newline="") as fh:
        return {r["measure_id"]: r for r in csv.DictReader(fh)}


def short_measure_label(m: dict) -> str:
    """The chart's label: short, so it is never cut ("(COB), lowe..."); lower-is-better said once."""
    short = measure_definitions().get(m["measure_id"], {}).get("short_label") or m["measure_name"]
    return short + (" (lower is better)" if m["lower_is_better"] else "")


def read_member_counts(con: duckdb.DuckDBPyConnection) -> dict[tuple, int]:
    """(contract, panel, category, status) -> exact count, from the dashboard_counts table."""
    rows = con.execute("SELECT contract_id, panel, category, coalesce(status, ''), members "
                       "FROM dashboard_counts").fetchall()
    return {(c, panel, cat, status): int(n) for c, panel, cat, status, n in rows}


def read_dtp_medians(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """contract (and ``ALL``) -> median days from a drug therapy problem's recommendation to its resolution,
    this year (qm_dtp); {} when the warehouse has no qm_dtp table."""
    present = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'qm_dtp'").fetchone()
    if not present or not present[0]:
        return {}
    rows = con.execute("SELECT contract_id, median(days_to_resolution) FROM qm_dtp "
                       "WHERE days_to_resolution IS NOT NULL GROUP BY ROLLUP (contract_id)").fetchall()
    return {(c if c is not None else ALL): float(v) for c, v in rows if v is not None}


def read_csv(path: Path) -> list[dict] | None:
    if not path.exists():
        return None
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def number(value: str | None) -> float | int | str | None:
    """A metrics-file cell: an int, a float, a hidden cell ("<11", "suppressed"), or None when empty."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if value in HIDDEN_LABELS:
        return value
    try:
        return int(value)
    except ValueError:
        return float(value)


def shown_count(value, shareable: bool = True) -> int | str | None:
    """A count as the page may show it: on the shareable page a small count read from any file is hidden
    again (defence); the plan's own page shows it exactly."""
    if not shareable:
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return SUPPRESSED if is_small(int(value)) else int(value)
    return value


def earlier_runs(runs_dir: Path | None, as_of: str) -> list[Path]:
    """Published run folders of the same contract year before this as-of date, oldest first."""
    if runs_dir is None or not runs_dir.exists():
        return []
    return sorted(p for p in runs_dir.iterdir()
                  if p.is_dir() and not p.is_symlink() and len(p.name) == 10 and p.name[:4] == as_of[:4]
                  and p.name < as_of)


# ------------------------------------------------------------------------------------------- privacy

def suppressed_member_counts(counts: dict[tuple, int], contracts: list[str]) -> dict[tuple, int | str]:
    """Every member count of every view (each contract and all contracts), small cells suppressed."""
    cells = dict(counts)
    categories = {key[1:] for key in counts}
    for cat in categories:
        cells[(ALL, *cat)] = sum(counts.get((c, *cat), 0) for c in contracts)
    for c in contracts:  # absent categories are real zeros, so that every view has every bar
        for cat in categories:
            cells.setdefault((c, *cat), 0)
    groups = [[(view, *cat) for view in [*contracts, ALL]] for cat in categories]  # contracts add up to all
    implied: list[tuple] = []
    for view in [*contracts, ALL]:
        groups += [[(view, panel, cat, "") for panel, cat in group] for group in REASON_GROUPS]
        for panel in ADDITIVE_PANELS:
            groups.append([(view, *cat) for cat in categories if cat[0] == panel])
        for whole, part in NESTED_COUNTS:  # whole = part + the difference (not shown)
            w, p = (view, *whole, ""), (view, *part, "")
            if w in cells and p in cells:
                rest = (view, "program", f"{whole[1]}-{part[1]}", "")
                cells[rest] = int(cells[w]) - int(cells[p])
                implied.append(rest)
                groups.append([w, p, rest])
        criteria, enrolled = (view, "funnel", "meets_criteria", ""), (view, *ENROLLED_MEETING, "")
        if criteria in cells and enrolled in cells:  # meet the criteria = enrolled and meeting + not enrolled
            rest = (view, "funnel", "meets_criteria_not_enrolled", "")
            cells[rest] = int(cells[criteria]) - int(cells[enrolled])
            implied.append(rest)
            groups.append([criteria, enrolled, rest])
    for key in {k[1:] for k in implied}:  # the differences add up across contracts too
        groups.append([(view, *key) for view in [*contracts, ALL]])
    return dict(suppress_groups(cells, groups, implied))  # type: ignore[arg-type]  # tuple keys are Hashable


def exact_member_counts(counts: dict[tuple, int], contracts: list[str]) -> dict[tuple, int | str]:
    """Every member count of every view (each contract and all contracts), exact: the plan's own page."""
    cells: dict[tuple, int | str] = dict(counts)
    categories = {key[1:] for key in counts}
    for cat in categories:
        cells[(ALL, *cat)] = sum(counts.get((c, *cat), 0) for c in contracts)
        for c in contracts:
            cells.setdefault((c, *cat), 0)
    return cells


def rate_label(m: dict) -> str:
    """A measure's rate as the page shows it: the percentage, "suppressed" when hidden, "n/a" when none."""
    if m.get("rate_hidden"):
        return COMPLEMENTARY_LABEL
    return pct(m["rate"])


def range_label(m: dict) -> str:
    if m.get("range_hidden"):
        return COMPLEMENTARY_LABEL
    if m["year_end_low"] is not None and m["year_end_high"] is not None:
        return f"{pct(m['year_end_low'])} to {pct(m['year_end_high'])}"
    return NOT_APPLICABLE


def members(value) -> str:
    """A count of members inside a sentence: a hidden count in words, never "suppressed members" (item 4)."""
    if value == SUPPRESSED:
        return "fewer than 11 members"
    if value == COMPLEMENTARY_LABEL:
        return "a number of members (suppressed)"
    return f"{fmt(value)} member" + ("" if value == 1 else "s")


def fmt(value) -> str:
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, str):
        return value
    return f"{value:,}"


def pct(value) -> str:
    """A rate as a percentage; a rate hidden to protect a small cell reads "suppressed" (never "n/a", which
    means no value)."""
    if isinstance(value, str):
        return COMPLEMENTARY_LABEL
    return NOT_APPLICABLE if value is None else f"{value:.0%}" if value in (0, 1) else f"{value:.1%}"


def share(part, whole) -> float | None:
    """A share computed only from numbers the page shows."""
    if isinstance(part, int) and isinstance(whole, int) and whole > 0:
        return part / whole
    return None


# ------------------------------------------------------------------------------------------- charts

def _pos_x() -> alt.X:
    """Bars have no axis (each is labelled); a chart of zeros and "<11" still has a scale from 0 to 1."""
    import altair as alt

    # stack=None: a bar is one count, not a stack (a stacked bar's pos_start/pos_end and the label's pos made
    # Vega-Lite warn about conflicting domains in the console)
    return alt.X("pos:Q", axis=None, stack=None, scale=alt.Scale(domain={"unionWith": [0, 1]}))


def _label_bars(base: alt.Chart, category: str, sort: list[str] | None, color: str = "#2f6f9f"
                ) -> alt.LayerChart | alt.FacetChart:
    """Horizontal bars labelled with the shown value ("<11" sits at zero: it has no bar)."""
    import altair as alt

    POS_X = _pos_x()  # noqa: N806  (the name the chart code below was written with)
    y = alt.Y(f"{category}:N", sort=sort, title=None, axis=alt.Axis(labelLimit=230))
    bars = base.mark_bar(color=color).encode(y=y, x=POS_X, tooltip=[f"{category}:N", "label:N"])
    text = base.mark_text(align="left", dx=4).encode(y=y, x=POS_X, text="label:N")
    return alt.layer(bars, text).properties(width=300)


def chart_specs() -> dict[str, dict]:
    """One Vega-Lite spec per chart; each view's rows are given as the dataset ``rows``."""
    import altair as alt

    POS_X = _pos_x()  # noqa: N806
    rows = alt.Data(name="rows")
    base = alt.Chart(rows)
    funnel = _label_bars(base, "step", list(FUNNEL_STEPS.values()))
    program = _label_bars(base, "step", list(PROGRAM_STEPS.values()), color="#3d7f5f")
    reasons = _label_bars(base, "reason", list(REASONS.values()))
    opt_outs = _label_bars(base, "reason", list(OPT_OUT_REASONS.values()), color="#9f5a2f")
    rejects = _label_bars(base, "reason", None, color="#8a3b3b")
    identity = _label_bars(base, "level", list(IDENTITY_LEVELS.values()), color="#5b6f2f")
    review = _label_bars(base, "type", list(DTP_TYPE_LABELS.values()), color="#6f4f9f")
    status_offset = alt.YOffset("status:N", sort=list(SERVICE_STATUS.values()))
    service_y = alt.Y("service:N", sort=list(SERVICE_TITLES.values()), title=None)
    status_color = alt.Color("status:N", scale=alt.Scale(domain=list(SERVICE_STATUS.values()),
                                                         range=["#2f6f9f", "#c0392b"]), title=None)
    services = alt.layer(
        base.mark_bar().encode(y=service_y, yOffset=status_offset, x=POS_X, color=status_color,
                               tooltip=["service:N", "status:N", "label:N"]),
        base.mark_text(align="left", dx=4).encode(y=service_y, yOffset=status_offset, x=POS_X, text="label:N"),
    ).properties(width=300)
    # the measures in the measure order (MEASURE_ORDER), not the order the layers first meet them: a measure
    # with no rate (too small, suppressed) has no bar, and the layers' union put it last
    measure_y = alt.Y("measure:N", sort=alt.EncodingSortField(field="order", op="min"), title=None,
                      axis=alt.Axis(labelLimit=320))
    measures = alt.layer(
        base.mark_bar(opacity=0.85).encode(
            y=measure_y, yOffset="contract_id:N", color=alt.Color("contract_id:N", title="Contract"),
            x=alt.X("rate:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", title="Rate year to date")),
            tooltip=["measure:N", "contract_id:N", "rate_label:N", "range_label:N", "recoverable_label:N"]),
        base.mark_rule(color="#333", strokeWidth=2).encode(
            y=measure_y, yOffset="contract_id:N", x="year_end_low:Q", x2="year_end_high:Q"),
        base.mark_text(align="left", dx=4).encode(y=measure_y, yOffset="contract_id:N", x="pos:Q",
                                                  text="rate_label:N"),
        # the plan's target (settings [dashboard] targets): a red tick across the measure's bars
        base.mark_tick(color="#c0392b", thickness=3).encode(
            y=measure_y, x="target:Q", tooltip=["measure:N", alt.Tooltip("target_label:N", title="target")]),
    ).properties(width=520)
    trend_program = base.mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)), y=alt.Y("value:Q", title=None),
        color=alt.Color("contract_id:N", title="Contract"), tooltip=["month:O", "contract_id:N", "label:N"],
    ).properties(width=380, height=110).facet(
        row=alt.Row("metric:N", title=None, sort=list(TREND_METRICS.values()), header=alt.Header(labelAngle=0,
                    labelAlign="left", labelOrient="top", labelFontWeight="bold")),
    ).resolve_scale(y="independent")
    trend_measures = base.mark_line(point=True).encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title=None),
        color=alt.Color("measure:N", title="Measure"), tooltip=["month:O", "measure:N", "rate_label:N"],
    ).properties(width=330, height=150).facet(
        row=alt.Row("contract_id:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                   labelOrient="top", labelFontWeight="bold")),
    )
    charts = {"funnel": funnel, "program": program, "reasons": reasons, "trend_program": trend_program,
              "trend_measures": trend_measures, "measures": measures, "services": services,
              "opt_outs": opt_outs, "rejects": rejects, "drug_identity": identity, "medication_review": review}
    return {name: chart.configure_view(stroke=None).to_dict() for name, chart in charts.items()}


CHART_TITLES = {
    "funnel": "Eligibility funnel at the as-of date",
    "program": "MTM program this year",
    "reasons": "Why members are targeted",
    "trend_program": "Program trend by month",
    "trend_measures": "Quality measure rates by month",
    "measures": "Quality measures this year (bar: rate; line: year-end range)",
    "services": "Services due and overdue",
    "opt_outs": "Opt-outs by reason",
    "medication_review": "Drug therapy problems by type, prescriber acceptance and written summaries",
    "rejects": "Data quality: rejected input rows by reason",
    "drug_identity": "Data quality: how fills were identified",
}


def bar_rows(field: str, labels: dict[str, str], shown: dict[str, int | str]) -> list[dict]:
    rows = []
    for key, label in labels.items():
        value = shown.get(key, 0)
        count = value if isinstance(value, int) else None
        rows.append({field: label, "count": count, "pos": count or 0, "label": fmt(value)})
    return rows


# --------------------------------------------------------------------------------------------- views

class DashboardData:
    """Everything the page shows, per view, built from suppressed figures only."""

    def __init__(self, counts: dict[tuple, int], measures: list[dict] | None, metrics: dict | None,
                 measure_history: list[dict], manifest: dict, shareable: bool = True,
                 previous: tuple[str, list[dict]] | None = None, targets: dict[str, float] | None = None):
        self.contracts = sorted({key[0] for key in counts} | {r["contract_id"] for r in measures or []}
                                | {c for c, _, _ in (metrics or {})})
        self.shareable = shareable
        self.shown = (suppressed_member_counts(counts, self.contracts) if shareable
                      else exact_member_counts(counts, self.contracts))
        self.measures = measures
        self.metrics = metrics
        self.measure_history = measure_history
        self.manifest = manifest
        #: (as-of date, measures) of the latest run of the month before this one (issue 26 item 3)
        self.previous = previous
        #: plan-set targets by measure id (settings [dashboard] targets)
        self.targets = targets or {}
        self.dtp_medians: dict[str, float] = {}

    def small_counts(self, counts: list[int]) -> list[int | str]:
        """Counts adding up to a shown total: suppressed on the shareable page, exact on the plan's own."""
        return suppress_small_counts(counts) if self.shareable else list(counts)

    def member_panel(self, view: str, panel: str) -> dict[str, int | str]:
        return {key[2] if not key[3] else f"{key[2]}:{key[3]}": value
                for key, value in self.shown.items() if key[0] == view and key[1] == panel}

    def view(self, view: str) -> dict:
        in_view = (lambda c: True) if view == ALL else (lambda c: c == view)  # noqa: E731
        measures = [m for m in self.measures or [] if in_view(m["contract_id"])]
        charts = {
            "funnel": self.funnel(view), "program": self.program(view), "reasons": self.reasons(view),
            "trend_program": self.trend_program(view, in_view), "trend_measures": self.trend_measures(in_view),
            "measures": self.measure_chart(measures, view), "services": self.services(view),
            "opt_outs": self.opt_outs(view), "rejects": self.rejects(), "drug_identity": self.drug_identity(),
            "medication_review": self.medication_review(view),
        }
        return {"tiles": self.tiles(view, measures), "charts": charts, "measures_table": self.measures_table(measures)}

    # tiles ------------------------------------------------------------------------------------------
    def tiles(self, view: str, measures: list[dict]) -> list[dict]:
        """Headline figures: one value per tile (the plan-wide value on "All contracts"), with the change
        since the previous month's last run and the plan's target where set (issue 26 items 2 and 3)."""
        program = self.member_panel(view, "program")
        funnel = self.member_panel(view, "funnel")
        gone = program.get("enrolled_not_meeting_criteria", 0)
        enrolled_note = (f"at the as-of date; {fmt(program.get('enrolled_this_year', 0))} enrolled this year"
                         + (f", {fmt(gone)} no longer meet the criteria" if gone not in (0, "0") else ""))
        tiles: list[dict] = [
            {"label": "Enrolled in MTM", "value": fmt(program.get("mtm_enrolled", 0)), "note": enrolled_note,
             "id": "mtm_enrolled"},
            {"label": "Meet the MTM criteria", "value": fmt(funnel.get("meets_criteria", 0)),
             "note": f"of {fmt(funnel.get('part_d_enrollees', 0))} Part D enrollees", "id": "meets_criteria"},
        ]
        if self.measures is None:
            tiles.append({"label": "Quality measures", "value": NOT_APPLICABLE, "note": NOT_COMPUTED,
                          "id": "measures"})
            return tiles
        previous = [m for m in (self.previous[1] if self.previous else [])
                    if view == ALL or m["contract_id"] == view]
        for measure_id, rows in sorted(group_by_measure(measures).items(), key=lambda kv: measure_sort_key(kv[0])):
            headline = plan_wide(rows) if view == ALL else rows[0]
            name = rows[0]["measure_name"] + (" (year to date)" if measure_id == "cmr_completion" else "")
            notes = [("plan-wide, " if view == ALL and len(rows) > 1 else "")
                     + f"denominator {fmt(headline['denominator'])}"
                     + ("; too small to rate" if headline.get("too_small") else "")]
            before = [m for m in previous if m["measure_id"] == measure_id]
            change = None
            if before and self.previous:
                was = plan_wide(before) if view == ALL else before[0]
                change = rate_change(headline, was)
                notes.append(f"{change} since {self.previous[0]}" if change.endswith(" pts")
                             else f"{change} ({self.previous[0]})")
            target = self.targets.get(measure_id)
            if target is not None:
                notes.append(f"target {pct(target)}")
            tiles.append({"label": name, "value": rate_label(headline), "note": "; ".join(notes),
                          "id": measure_id, "change": change, "target": target})
        return tiles

    # member panels ---------------------------------------------------------------------------------
    def funnel(self, view: str) -> dict:
        shown = self.member_panel(view, "funnel")
        rows = bar_rows("step", FUNNEL_STEPS, shown)
        enrollees, criteria = shown.get("part_d_enrollees", 0), shown.get("meets_criteria", 0)
        of_enrollees = share(criteria, enrollees)
        summary = (f"Of {fmt(enrollees)} Part D enrollees at the as-of date, {fmt(criteria)} meet the MTM criteria"
                   + (f" ({pct(of_enrollees)})" if of_enrollees is not None else "") + ".")
        return {"rows": rows, "summary": summary}

    def program(self, view: str) -> dict:
        shown = self.member_panel(view, "program")
        rows = bar_rows("step", PROGRAM_STEPS, shown)
        gone = shown.get("enrolled_not_meeting_criteria", 0)
        summary = (f"{fmt(shown.get('enrolled_this_year', 0))} members were enrolled in MTM this year "
                   f"({fmt(shown.get('mtm_enrolled', 0))} still enrolled at the as-of date"
                   + (f", {fmt(gone)} of them no longer meeting the criteria: enrollment lasts the year"
                      if gone not in (0, "0") else "")
                   + f"); {fmt(shown.get('cmr_completed', 0))} completed a CMR and "
                   f"{fmt(shown.get('cmr_counted', 0))} count for the CMR completion measure "
                   "(written summary sent, in the measure's denominator).")
        return {"rows": rows, "summary": summary}

    def reasons(self, view: str) -> dict:
        shown = self.member_panel(view, "reason")
        # "Not targeted" is not drawn: its thousands would squash the targeted bars to slivers (item 5)
        rows = bar_rows("reason", {k: v for k, v in REASONS.items() if k != "04"}, shown)
        summary = (f"Targeted for their conditions, drugs and cost: {members(shown.get('01', 0))}; "
                   f"as at-risk beneficiaries of the drug management program: {members(shown.get('02', 0))}; "
                   f"for both: {members(shown.get('03', 0))}. Not targeted (not drawn): "
                   f"{members(shown.get('04', 0))}.")
        return {"rows": rows, "summary": summary}

    def services(self, view: str) -> dict:
        shown = self.member_panel(view, "service")
        rows = []
        for service, title in SERVICE_TITLES.items():
            code = "tmr" if service == TMR_SHEET else service  # dashboard_counts' service code of the worklist
            for status, status_title in SERVICE_STATUS.items():
                value = shown.get(f"{code}:{status}", 0)
                count = value if isinstance(value, int) else None
                rows.append({"service": title, "status": status_title, "count": count, "pos": count or 0,
                             "label": fmt(value)})
        overdue = [r for r in rows if r["status"] == "Overdue" and r["label"] != "0"]
        largest = max(rows, key=lambda r: r["count"] or 0)
        if not largest["count"] and all(r["label"] == "0" for r in rows):
            summary = "No service is due: the outreach lists are empty."
        else:
            summary = (f"The largest list is {largest['service']} ({largest['label']} members "
                       f"{str(largest['status']).lower()}); "
                       + ("; ".join(f"{r['service']}: {r['label']} overdue" for r in overdue)
                          if overdue else "nothing is overdue") + ".")
        return {"rows": rows, "summary": summary}

    def opt_outs(self, view: str) -> dict:
        shown = self.member_panel(view, "opt_out")
        rows = bar_rows("reason", OPT_OUT_REASONS, shown)
        nonzero = [r for r in rows if r["label"] != "0"]
        if not nonzero:
            summary = "No MTM enrollee opted out this year."
        else:
            summary = "Opt-outs this year: " + ", ".join(f"{r['reason'].lower()} {r['label']}"
                                                           for r in nonzero) + "."
        return {"rows": rows, "summary": summary}

    def medication_review(self, view: str) -> dict:
        """Drug therapy problems by type this year, with the prescribers' acceptance rate, the median days to
        resolution and the written summaries sent within 14 days of the CMR (issue 29)."""
        by_type = self.member_panel(view, "dtp_type")
        rows = bar_rows("type", DTP_TYPE_LABELS, by_type)
        review = self.member_panel(view, "medication_review")

        def rate(part: str, whole: str) -> str:
            shown = share(review.get(part, 0), review.get(whole, 0))
            return "suppressed" if shown is None else pct(shown)

        resolved, answered = review.get("dtp_resolved", 0), review.get("dtp_answered", 0)
        closed = review.get("summary_window_closed", 0)
        median = self.dtp_medians.get(view)
        # every clause says what it knows in words: a figure, "suppressed", or that nothing is there yet
        resolution = ("none resolved yet" if resolved == 0 else
                      f"{fmt(resolved)} resolved" + (f" (median {median:g} days to resolution)"
                                                      if median is not None and not isinstance(resolved, str) else ""))
        answers = ("no prescriber has answered a recommendation yet" if answered == 0 else
                   f"prescribers accepted {rate('dtp_accepted', 'dtp_answered')} of {fmt(answered)} "
                   "answered recommendations")
        summaries = ("no CMR's 14-day window for its written summary has closed yet" if closed == 0 else
                     f"{rate('summary_within_14_days', 'summary_window_closed')} of {fmt(closed)} CMRs had "
                     "their written summary sent within 14 days")
        summary = (f"{fmt(review.get('dtp_recommended', 0))} drug therapy problems recommended to prescribers "
                   f"this year, {resolution}; {answers}; {summaries}.")
        return {"rows": rows, "summary": summary}

    # data quality (plan-wide: the manifest has no contract) ----------------------------------------
    def rejects(self) -> dict:
        by_reason = (self.manifest.get("rejects") or {}).get("by_reason") or []
        labels = {f"{r['table']}: {r['reason']}": r["count"] for r in by_reason}
        shown = dict(zip(labels, self.small_counts(list(labels.values())), strict=True))
        rows = bar_rows("reason", {k: k for k in labels}, shown)
        if not rows:
            return {"rows": [{"reason": "No rejected rows", "count": 0, "pos": 0, "label": "0"}],
                    "summary": "No input row was rejected in this run (all contracts)."}
        top = max(rows, key=lambda r: r["count"] or 0)
        return {"rows": rows, "summary": f"The most frequent reason for rejecting input rows in this run (all "
                                         f"contracts) is “{top['reason']}” ({top['label']} rows)."}

    def drug_identity(self) -> dict:
        identity = self.manifest.get("drug_identity") or {}
        levels = identity.get("fills_by_identity_level") or {}
        if not levels:
            return {"rows": [], "summary": NOT_COMPUTED}
        keys = list(IDENTITY_LEVELS) + [k for k in levels if k not in IDENTITY_LEVELS]
        shown = dict(zip(keys, self.small_counts([levels.get(k, 0) for k in keys]), strict=True))
        labels = {k: IDENTITY_LEVELS.get(k) or k.replace("_", " ") for k in keys}
        rows = bar_rows("level", labels, shown)
        pending = shown_count((identity.get("fills_by_status") or {}).get("pending", 0), self.shareable)
        by_ndc = share(shown.get("ndc"), sum(v for v in shown.values() if isinstance(v, int))) \
            if all(isinstance(v, int) for v in shown.values()) else None
        summary = ((f"{pct(by_ndc)} of fills were identified by their NDC; " if by_ndc is not None else "")
                   + f"{fmt(pending)} fills are held as pending (outside Part D coverage), all contracts.")
        return {"rows": rows, "summary": summary}

    # helper 14's files ------------------------------------------------------------------------------
    def measure_chart(self, measures: list[dict], view: str) -> dict:
        if self.measures is None:
            return {"rows": [], "summary": NO_MEASURES}
        rows = []
        shown = sorted(measures, key=lambda m: (measure_sort_key(m["measure_id"]), m["contract_id"]))
        if view == ALL and len({m["contract_id"] for m in measures}) > 1:
            pooled = [plan_wide(ms) for ms in group_by_measure(measures).values()]
            shown = sorted(shown + pooled, key=lambda m: (measure_sort_key(m["measure_id"]),
                                                          m["contract_id"] != PLAN_WIDE, m["contract_id"]))
        # the measure order, which the y axis sorts by: a fraction in (0, 1), so that the shareable page's data
        # holds no small integer that reads like a count of members
        order = list(dict.fromkeys(m["measure_id"] for m in shown))
        for m in shown:
            rows.append({
                "measure": short_measure_label(m),
                "order": round((order.index(m["measure_id"]) + 1) / (len(order) + 1), 6),
                "contract_id": m["contract_id"], "rate": m["rate"],
                "pos": max(v for v in (m["rate"], m["year_end_high"], 0) if v is not None),
                "rate_label": rate_label(m),
                "year_end_low": m["year_end_low"], "year_end_high": m["year_end_high"],
                "range_label": range_label(m),
                "recoverable_label": fmt(m["recoverable_members"]),
                "target": self.targets.get(m["measure_id"]),
                "target_label": pct(self.targets[m["measure_id"]]) if m["measure_id"] in self.targets else "none set",
            })
        cmr = [m for m in measures if m["measure_id"] == "cmr_completion"]
        summary = "Each measure's rate year to date per contract, with the range it can reach by year end"
        summary += "; the tick marks the plan's target." if self.targets else "."
        if cmr:
            headline = plan_wide(cmr) if view == ALL else cmr[0]
            if headline["rate"] is not None and not headline.get("rate_hidden"):
                # only the parts that have a value: no sentence with a blank in it (issue 26 item 4)
                summary = (f"CMR completion is {pct(headline['rate'])} year to date"
                           + (" plan-wide" if headline["contract_id"] == PLAN_WIDE else ""))
                if isinstance(headline["recoverable_members"], int):
                    summary += f"; {members(headline['recoverable_members'])} can still be brought into the numerator"
                if headline["year_end_low"] is not None and headline["year_end_high"] is not None:
                    summary += (f" (year-end range {pct(headline['year_end_low'])} to "
                                f"{pct(headline['year_end_high'])})")
                if "cmr_completion" in self.targets:
                    summary += f"; the plan's target is {pct(self.targets['cmr_completion'])}"
                summary += "."
        return {"rows": rows, "summary": summary}

    def measures_table(self, measures: list[dict]) -> dict:
        rows = [[
            m["measure_name"], m["contract_id"], fmt(m["numerator"]), fmt(m["denominator"]), rate_label(m),
            range_label(m),
            fmt(m["recoverable_members"]),
            pct(self.targets[m["measure_id"]]) if m["measure_id"] in self.targets else "none set",
            "; ".join(n for n in ("too small to rate" if m["too_small"] else "",
                                  "lower is better" if m["lower_is_better"] else "") if n),
        ] for m in sorted(measures, key=lambda m: (measure_sort_key(m["measure_id"]), m["contract_id"]))]
        ids = [m["measure_id"] for m in sorted(measures, key=lambda m: (measure_sort_key(m["measure_id"]),
                                                                         m["contract_id"]))]
        return {"columns": MEASURE_COLUMNS, "rows": rows, "ids": ids}

    def trend_program(self, view: str, in_view) -> dict:
        if self.metrics is None:
            return {"rows": [], "summary": NO_METRICS}
        rows = []
        for (contract, month, metric), value in sorted(self.metrics.items()):
            if metric in TREND_METRICS and in_view(contract):
                numeric = value if isinstance(value, (int, float)) else None
                rows.append({"contract_id": contract, "month": month, "metric": TREND_METRICS[metric],
                             "value": numeric, "label": pct(value) if metric.endswith("_rate") and numeric
                             is not None else fmt(value)})
        enrolled = [r for r in rows if r["metric"] == TREND_METRICS["mtm_enrolled_cumulative"]]
        if not enrolled:
            return {"rows": rows, "summary": "No enrollment figures by month in the program metrics."}
        first, last = min(r["month"] for r in enrolled), max(r["month"] for r in enrolled)
        if view == ALL:
            summary = f"Monthly program figures of every contract from {first} to {last}."
        else:
            start = next(r for r in enrolled if r["month"] == first)["label"]
            end = next(r for r in enrolled if r["month"] == last)["label"]
            summary = f"Enrollment in MTM this year went from {start} in {first} to {end} in {last}."
        hidden = sorted({r["month"] for r in rows if r["value"] is None})
        if hidden:  # a gap in a line is a hidden value, said so (item 4)
            summary += (f" Gaps in the lines are values suppressed to protect small counts ({', '.join(hidden)}).")
        return {"rows": rows, "summary": summary}

    def trend_measures(self, in_view) -> dict:
        rows = [r for r in self.measure_history if in_view(r["contract_id"])]
        if not rows:
            return {"rows": [], "summary": NO_HISTORY}
        months = sorted({r["month"] for r in rows})
        cmr = [r for r in rows if r["measure_id"] == "cmr_completion" and r["month"] == months[-1]
               and r["rate"] is not None]
        summary = f"Measure rates of the latest run of each month, {months[0]} to {months[-1]}"
        if len(cmr) == 1:
            summary += f"; CMR completion stands at {cmr[0]['rate_label']}"
        return {"rows": rows, "summary": summary + "."}


def group_by_measure(measures: list[dict]) -> dict[str, list[dict]]:
    by_measure: dict[str, list[dict]] = defaultdict(list)
    for m in measures:
        by_measure[m["measure_id"]].append(m)
    return by_measure


def plan_wide(rows: list[dict]) -> dict:
    """One measure over every contract: the numerators and denominators added up (a pooled rate, not the
    mean of the contracts' rates); hidden when a count it needs is hidden (the shareable page)."""
    first = rows[0]
    if len(rows) == 1:
        return first
    counts = [(m["numerator"], m["denominator"]) for m in rows]
    exact = all(isinstance(n, int) and isinstance(d, int) for n, d in counts)
    numerator = sum(n for n, _ in counts) if exact else COMPLEMENTARY_LABEL
    denominator = sum(d for _, d in counts) if exact else COMPLEMENTARY_LABEL
    rate = numerator / denominator if exact and denominator else None  # type: ignore[operator]
    return {**first, "contract_id": PLAN_WIDE, "numerator": numerator, "denominator": denominator, "rate": rate,
            "rate_hidden": not exact, "year_end_low": None, "year_end_high": None, "range_hidden": False,
            "recoverable_members": (sum(m["recoverable_members"] for m in rows)
                                    if all(isinstance(m["recoverable_members"], int) for m in rows)
                                    else COMPLEMENTARY_LABEL),
            "too_small": all(m["too_small"] for m in rows)}


def rate_change(now: dict, was: dict) -> str:
    """The change of a rate in percentage points ("+2.5 pts"); words when either rate is not shown."""
    if now.get("rate_hidden") or was.get("rate_hidden"):
        return f"change {COMPLEMENTARY_LABEL}"
    if now["rate"] is None or was["rate"] is None:
        return "no rate to compare with"
    return f"{(now['rate'] - was['rate']) * 100:+.1f} pts"


def previous_month_run(runs_dir: Path | None, as_of: str) -> Path | None:
    """The latest published run of the calendar month before ``as_of`` in the same contract year (issue 26
    item 3: "the change against the previous run of the prior month"); None in January or when there is none."""
    year, month = int(as_of[:4]), int(as_of[5:7])
    if month == 1:
        return None
    prior = f"{year:04d}-{month - 1:02d}"
    runs = [p for p in earlier_runs(runs_dir, as_of) if p.name[:7] == prior]
    return runs[-1] if runs else None


def measure_sort_key(measure_id: str) -> tuple[int, str]:
    return (MEASURE_ORDER.index(measure_id) if measure_id in MEASURE_ORDER else len(MEASURE_ORDER), measure_id)


# ------------------------------------------------------------------------------ helper 14's run files

def rate_value(text: str | None) -> float | None:
    """A rate cell of quality_measures.csv: a number, or None when empty or hidden (it would reveal a cell)."""
    value = number(text)
    return float(value) if isinstance(value, (int, float)) else None


def _is_exact_file(rows: list[dict], columns: Iterable[str]) -> bool:
    """A run-folder file written with exact counts (this version); an older run's file is already suppressed."""
    return not any(r.get(c) in HIDDEN_LABELS for r in rows for c in columns)


def shareable_measure_rows(rows: list[dict]) -> list[dict]:
    """quality_measures.csv rows (exact, as the run folder holds them) as they may be shared outside the
    plan: the same suppression as ``mtm report --shareable`` (pipelines.publishing.exports.measures)."""
    import polars as pl

    from pipelines.publishing.exports.measures import suppressed_quality_measures

    counts = ("numerator", "denominator", "recoverable_members")
    if not rows or not _is_exact_file(rows, counts):
        return rows

    def num(text):
        value = number(text)
        return value if isinstance(value, (int, float)) else None

    frame = pl.DataFrame([{
        "contract_id": r["contract_id"], "measurement_year": r.get("measurement_year"), "measure_id": r["measure_id"],
        "measure_name": r.get("measure_name"), "numerator": int(num(r["numerator"]) or 0),
        "denominator": int(num(r["denominator"]) or 0), "rate": num(r.get("rate")),
        "too_small_to_rate": str(r.get("too_small_to_rate", "")).lower() == "true",
        "year_end_low": num(r.get("year_end_low")), "year_end_high": num(r.get("year_end_high")),
        "recoverable_members": (None if (rec := num(r.get("recoverable_members"))) is None else int(rec)),
        "lower_is_better": str(r.get("lower_is_better", "")).lower() == "true",
    } for r in rows], schema={"contract_id": pl.Utf8, "measurement_year": pl.Utf8, "measure_id": pl.Utf8,
                              "measure_name": pl.Utf8, "numerator": pl.Int64, "denominator": pl.Int64,
                              "rate": pl.Float64, "too_small_to_rate": pl.Boolean, "year_end_low": pl.Float64,
                              "year_end_high": pl.Float64, "recoverable_members": pl.Int64,
                              "lower_is_better": pl.Boolean})
    return suppressed_quality_measures(frame)


def read_measures(folder: Path, shareable: bool = True) -> list[dict] | None:
    """quality_measures.csv as the page may show it: exact on the plan's own page; on the shareable page
    small counts suppressed (counts re-checked, rates and ranges hidden with their counts)."""
    rows = read_csv(folder / "quality_measures.csv")
    if rows is None:
        return None
    if shareable:
        rows = shareable_measure_rows(rows)
    measures = []
    for r in rows:
        numerator = shown_count(number(r.get("numerator")), shareable)
        denominator = shown_count(number(r.get("denominator")), shareable)
        exact = isinstance(numerator, int) and isinstance(denominator, int)
        low, high = number(r.get("year_end_low")), number(r.get("year_end_high"))
        measures.append({
            "contract_id": r["contract_id"], "measure_id": r["measure_id"],
            "measure_name": r.get("measure_name") or r["measure_id"],
            "numerator": numerator, "denominator": denominator,
            "rate": rate_value(r.get("rate")) if exact else None,
            "rate_hidden": not exact or number(r.get("rate")) in HIDDEN_LABELS,
            "year_end_low": rate_value(r.get("year_end_low")) if exact else None,
            "year_end_high": rate_value(r.get("year_end_high")) if exact else None,
            "range_hidden": (low in HIDDEN_LABELS or high in HIDDEN_LABELS
                             or (not exact and low is not None and high is not None)),
            "recoverable_members": shown_count(number(r.get("recoverable_members")), shareable),
            "too_small": str(r.get("too_small_to_rate", "")).strip().lower() in ("true", "1", "t", "yes"),
            "lower_is_better": str(r.get("lower_is_better", "")).strip().lower() in ("true", "1", "t", "yes"),
        })
    return measures


def shareable_metric_rows(rows: list[dict], as_of: str) -> list[dict]:
    """program_metrics.csv rows (exact) as they may be shared outside the plan (the metrics file's
    equations and suppression: pipelines.publishing.exports.measures.suppressed_program_metrics)."""
    import polars as pl

    from pipelines.publishing.exports.measures import suppressed_program_metrics

    if not rows or not _is_exact_file(rows, ("value",)):
        return rows
    frame = pl.DataFrame([{
        "as_of_date": as_of, "contract_id": r["contract_id"], "month": r["month"], "metric": r["metric"],
        "value": float(v) if isinstance(v := number(r.get("value")), (int, float)) else None,
        "published": True, "is_rate": r["metric"].endswith(NOT_COUNT_SUFFIXES),
    } for r in rows], schema={"as_of_date": pl.Utf8, "contract_id": pl.Utf8, "month": pl.Utf8, "metric": pl.Utf8,
                              "value": pl.Float64, "published": pl.Boolean, "is_rate": pl.Boolean})
    shown = suppressed_program_metrics(frame)
    return [{"contract_id": r["contract_id"], "month": r["month"], "metric": r["metric"], "value": r["value_display"]}
            for r in shown.iter_rows(named=True)]


def read_metrics(folders: Iterable[Path], shareable: bool = True) -> dict | None:
    """(contract, month, metric) -> shown value; the newest run folder holding a month wins."""
    metrics: dict[tuple, int | float | str | None] = {}
    found = False
    for folder in folders:  # newest first
        rows = read_csv(folder / "program_metrics.csv")
        if rows is None:
            continue
        if shareable:
            rows = shareable_metric_rows(rows, folder.name)
        found = True
        claimed = {key[:2] for key in metrics}
        for r in rows:
            if (r["contract_id"], r["month"]) not in claimed:
                value = number(r.get("value"))
                metrics[(r["contract_id"], r["month"], r["metric"])] = (
                    value if r["metric"].endswith(NOT_COUNT_SUFFIXES) else shown_count(value, shareable))
    if not found:
        return None
    for contract, month, metric in list(metrics):  # a rate never reveals a hidden count
        if metric.endswith("_rate") and metrics.get((contract, month, metric.removesuffix("_rate"))) in HIDDEN_LABELS:
            metrics[(contract, month, metric)] = COMPLEMENTARY_LABEL
    return metrics


def measure_history(folders: Iterable[tuple[str, Path]], shareable: bool = True) -> list[dict]:
    """Measure rates at each month's latest run (folders: (as-of date, folder), oldest first)."""
    latest: dict[str, Path] = {}
    for as_of, folder in folders:
        if (folder / "quality_measures.csv").exists():
            latest[as_of[:7]] = folder
    rows = []
    for month, folder in sorted(latest.items()):
        for m in read_measures(folder, shareable) or []:
            rows.append({"contract_id": m["contract_id"], "month": month, "measure_id": m["measure_id"],
                         "measure": m["measure_name"], "rate": m["rate"], "rate_label": rate_label(m)})
    return rows


# --------------------------------------------------------------------------------------------- page

@functools.cache
def vega_javascript() -> str:
    """Vega, Vega-Lite and vega-embed as one script, from the installed vl-convert wheel (no network)."""
    import importlib.metadata

    import altair as alt
    import vl_convert

    from pipelines.engine.cache import cached_text

    version = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    # building the bundle takes seconds; it depends only on the installed vl-convert and the Vega-Lite version
    bundle = cached_text("vega-bundle", f"{importlib.metadata.version('vl-convert-python')} {version}",
                         lambda: vl_convert.javascript_bundle(vl_version=version))  # type: ignore[call-arg]
    return bundle.replace("</script", "<\\/script")


def vega_specs() -> dict[str, dict]:
    """The charts compiled from Vega-Lite to Vega when the run publishes (vl-convert, no network): the page
    then runs no Vega-Lite compiler (no compile notes in the reader's console, a faster page) and Vega draws
    them with its CSP-safe interpreter. Cached by the specs' text and the compiler's version. A fresh copy
    each call (the caller may change it)."""
    import json

    return json.loads(_vega_specs_text())


@functools.cache
def _vega_specs_text() -> str:
    """The compiled specs as JSON, once per process: building the Vega-Lite specs with altair (validated
    against its schema) took ~0.5 s, twice per run (the plan's page and the shareable one), and the specs
    depend only on this module and the installed altair / vl-convert, never on the run's rows."""
    import importlib.metadata
    import json

    import altair as alt
    import vl_convert

    from pipelines.engine.cache import cached_text

    lite = chart_specs()
    version = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    key = f"{importlib.metadata.version('vl-convert-python')} {version} " + json.dumps(lite, sort_keys=True)
    return cached_text("vega-specs", key, lambda: json.dumps(
        {name: vl_convert.vegalite_to_vega(spec, vl_version=version) for name, spec in lite.items()}))


def build_dashboard_data(con: duckdb.DuckDBPyConnection, folder: Path, manifest: dict,
                         runs_dir: Path | None = None, shareable: bool = False) -> dict:
    as_of = manifest["as_of_date"]
    history = [(p.name, p) for p in earlier_runs(runs_dir, as_of)] + [(as_of, folder)]
    prior = previous_month_run(runs_dir, as_of)
    prior_measures = read_measures(prior, shareable) if prior else None
    data = DashboardData(
        counts=read_member_counts(con), measures=read_measures(folder, shareable),
        metrics=read_metrics((p for _, p in reversed(history)), shareable),
        measure_history=measure_history(history, shareable), manifest=manifest, shareable=shareable,
        previous=(prior.name, prior_measures) if prior and prior_measures is not None else None,
        targets=((manifest.get("settings") or {}).get("dashboard") or {}).get("targets") or {},
    )
    data.dtp_medians = read_dtp_medians(con)
    views = {ALL: data.view(ALL)} | {c: data.view(c) for c in data.contracts}
    settings_file = manifest.get("settings_file")
    return {
        "as_of_date": as_of,
        "shareable": shareable,
        "contracts": [{"id": ALL, "label": "All contracts"}] + [{"id": c, "label": c} for c in data.contracts],
        "views": views,
        "titles": CHART_TITLES,
        "previous_run": prior.name if prior else None,
        "definitions": [{"id": k, "label": v["short_label"], "definition": v["definition"]}
                        for k, v in sorted(measure_definitions().items(), key=lambda kv: measure_sort_key(kv[0]))],
        "run_files": [] if shareable else list(RUN_FILES),
        "targets": data.targets,
        "footer": {"as_of_date": as_of, "settings_file": Path(settings_file).name if settings_file else
                   "default settings", "code_version": manifest.get("code_version", ""),
                   "run_id": manifest.get("run_id", "")},
    }


def render_dashboard(data: dict) -> str:
    import altair as alt

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE.parent), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE.name).render(
        data=data, specs=vega_specs(), titles=CHART_TITLES, vega_js=vega_javascript(),
        vega_versions={"vega-lite": alt.SCHEMA_VERSION, "vega": alt.VEGA_VERSION, "vega-embed": alt.VEGAEMBED_VERSION},
    )


DASHBOARD_FILES = {False: "dashboard.html", True: "dashboard_shareable.html"}


def write_dashboard(con: duckdb.DuckDBPyConnection, folder: Path, manifest: dict,
                    runs_dir: Path | None = None) -> Path:
    """Write ``dashboard.html`` (exact counts, the plan's own quality team) and ``dashboard_shareable.html``
    (small cells suppressed, to share outside the plan) into the (unpublished) run folder; any error stops
    the publication. Returns the plan's own page."""
    for shareable, name in DASHBOARD_FILES.items():
        html = render_dashboard(build_dashboard_data(con, folder, manifest, runs_dir, shareable))
        (folder / name).write_text(html, encoding="utf-8")
    return folder / DASHBOARD_FILES[False]
