"""The written summary of a CMR in the CMS Standardized Format (form CMS-10396: cover letter, Medication
Action Plan, Personal Medication List) and the prescriber letters, as PDF files (fpdf2); the portal's HTML
versions (templates ``cmr_summary.html``, ``cmr_letter.html``) use the same texts and data.

The member-facing texts are data: ``summary_texts.csv`` holds every heading and sentence in English and
Spanish (the languages the plan ships; another language is a column more). The summary is in the member's
preferred language when the plan has it, else in English; the pharmacist can choose either.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from pipelines.portal import runs

TEXTS_FILE = Path(__file__).with_name("summary_texts.csv")
LANGUAGES = ("en", "es")
#: preferred_language values (eligibility) that mean Spanish or English
LANGUAGE_CODES = {"es": "es", "spa": "es", "spanish": "es", "español": "es", "en": "en", "eng": "en",
                  "english": "en"}
#: contact fields shown on the summary (names and birth date: the member's own papers)
PERSON_FIELDS = ("first_name", "last_name", "birth_date", "preferred_language")


@cache
def _all_texts() -> dict[str, dict[str, str]]:
    with TEXTS_FILE.open(newline="", encoding="utf-8") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


def texts(language: str) -> dict[str, str]:
    """key -> the text in ``language`` (English where a translation is missing)."""
    return {k: (row.get(language) or row["en"]) for k, row in _all_texts().items()}


def person(run: runs.Run, member_id: str) -> dict:
    """Name, birth date and preferred language, from the run's outreach list or TMR worklist (the files that
    carry contact details)."""
    found: dict = {}
    for stem in ("outreach_list", "tmr_worklist"):
        if run.has(f"{stem}.csv") or run.has(f"{stem}.parquet"):
            rows = runs.member_rows(run, stem, member_id)
            if rows:
                found |= {k: rows[0][k] for k in PERSON_FIELDS if rows[0].get(k) not in (None, "")
                          and k not in found}
    return found


def language_of(person: dict) -> str:
    return LANGUAGE_CODES.get(str(person.get("preferred_language") or "").strip().lower(), "en")


@dataclass
class Document:
    language: str
    member_id: str
    person: dict
    medicines: list[dict]
    allergies: str
    plan: dict
    cmr_date: dt.date | None
    run_as_of: str
    dtps: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(str(self.person.get(k) or "") for k in ("first_name", "last_name")).strip() or self.member_id

    @property
    def dob(self) -> str:
        return str(self.person.get("birth_date") or "")[:10]

    @property
    def current(self) -> list[dict]:
        return [m for m in self.medicines if not m.get("stop")]

    @property
    def stopped(self) -> list[dict]:
        return [m for m in self.medicines if m.get("stop")]


@dataclass
class Letter:
    npi: str
    doc: Document
    items: list[dict]


# -- PDF ----------------------------------------------------------------------------------------------------

def _latin1(text) -> str:
    """The core PDF fonts speak Latin-1 (Spanish included); anything else becomes '?'."""
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="Letter")
        self.footer_text = footer_text
        self.set_auto_page_break(True, margin=15)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.cell(0, 6, _latin1(f"{self.footer_text} - {self.page_no()}"), align="C")

    def heading(self, text: str, size: int = 15) -> None:
        self.set_font("helvetica", "B", size)
        self.multi_cell(0, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text: str, size: int = 11, style: str = "") -> None:
        self.set_font("helvetica", style, size)
        self.multi_cell(0, 5.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def summary_pdf(doc: Document) -> bytes:
    """The three parts of the CMS Standardized Format, one after another."""
    t = texts(doc.language)
    date = doc.cmr_date.isoformat() if doc.cmr_date else ""
    pdf = _Pdf(t["member_id"].format(member_id=doc.member_id))
    pdf.set_title(_latin1(t["cover_title"]))
    # cover letter
    pdf.add_page()
    pdf.heading(t["cover_title"])
    pdf.para(t["cover_greeting"].format(name=doc.name))
    for key in ("cover_thanks", "cover_along", "cover_keep", "cover_bring", "cover_questions"):
        pdf.para(t[key].format(date=date))
    pdf.para(t["cover_closing"])
    pdf.para(t["review_date"].format(date=date), size=9)
    # Medication Action Plan
    pdf.add_page()
    pdf.heading(t["map_title"])
    pdf.para(t["map_for"].format(name=doc.name, dob=doc.dob), style="B")
    pdf.para(t["map_intro"], size=10)
    items = doc.plan.get("items") or []
    if not items:
        pdf.para(t["map_none"])
    pdf.set_font("helvetica", size=10)
    for item in items:
        with pdf.table(col_widths=(1,), headings_style=FontFace(emphasis="BOLD", fill_color=(225, 233, 242)),
                       line_height=6) as table:
            table.row([_latin1(t["map_talked"])])
            table.row([_latin1(item["talked"])])
            table.row([_latin1(t["map_todo"])], style=FontFace(emphasis="BOLD"))
            table.row([_latin1(item["todo"])])
            table.row([_latin1(t["map_done"])], style=FontFace(emphasis="BOLD"))
            table.row([" \n "])
        pdf.ln(3)
    pdf.para(t["map_follow_up"], style="B")
    pdf.para(doc.plan.get("follow_up") or " ")
    pdf.para(t["map_questions"], style="B")
    pdf.para(doc.plan.get("questions") or " ")
    # Personal Medication List
    pdf.add_page()
    pdf.heading(t["pml_title"])
    pdf.para(t["pml_for"].format(name=doc.name, dob=doc.dob), style="B")
    pdf.para(t["pml_intro"], size=10)
    pdf.para(f"{t['pml_allergies']} {doc.allergies or t['pml_none']}", style="B")
    for m in [*doc.current, *doc.stopped, {}, {}]:  # two blank boxes for new medications
        rows = [("pml_medicine", m.get("medicine", "")), ("pml_how", m.get("how", "")), ("pml_why", m.get("why", "")),
                ("pml_prescriber", _prescriber(m)), ("pml_started", m.get("start", "")),
                ("pml_stopped", m.get("stop", "")), ("pml_stop_reason", m.get("stop_reason", ""))]
        pdf.set_font("helvetica", size=10)
        with pdf.table(col_widths=(38, 100), first_row_as_headings=False, line_height=6) as table:
            for key, value in rows:
                table.row([_latin1(t[key]), _latin1(value or " ")])
        pdf.ln(3)
    pdf.para(t["pml_other"], style="B")
    pdf.para(" ")
    return bytes(pdf.output())


def _prescriber(m: dict) -> str:
    name, npi = m.get("prescriber") or "", m.get("prescriber_npi") or ""
    return f"{name} (NPI {npi})".strip() if npi else name


#: the response boxes of each recommendation (the HTML letter draws the same three)
RESPONSE_BOXES = "[  ] Accepted     [  ] Modified: ____________________     [  ] Declined"


def letter_pdf(letter: Letter) -> bytes:
    """One fax-ready letter to a prescriber: each recommendation with its response boxes."""
    doc = letter.doc
    pdf = _Pdf(f"Prescriber {letter.npi} - member {doc.member_id}")
    pdf.add_page()
    for line in letter_lines(letter):
        if line[0] == "heading":
            pdf.heading(line[1])
        elif line[0] == "item":
            pdf.set_font("helvetica", "B", 11)
            pdf.multi_cell(0, 6, _latin1(line[1]), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("helvetica", size=11)
            pdf.multi_cell(0, 6, _latin1(line[2]), new_x="LMARGIN", new_y="NEXT")
            for boxes in (RESPONSE_BOXES, "Prescriber signature: ______________________   Date: ___________"):
                pdf.multi_cell(0, 7, boxes, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        else:
            pdf.para(line[1])
    return bytes(pdf.output())


def letter_lines(letter: Letter) -> list[tuple[str, ...]]:
    """The letter's content, shared by the PDF and the HTML page."""
    doc = letter.doc
    lines: list[tuple[str, ...]] = [
        ("heading", "Medication therapy recommendations"),
        ("para", f"To: prescriber NPI {letter.npi}"),
        ("para", f"Re: your patient {doc.name} (date of birth {doc.dob or 'on file'}), plan member {doc.member_id}"),
        ("para", f"During a comprehensive medication review on {doc.cmr_date or 'a recent date'}, the plan's MTM "
                 "pharmacist found the drug therapy problems below. Please mark your response to each and fax "
                 "this page back."),
    ]
    for i, d in enumerate(letter.items, start=1):
        lines.append(("item", f"{i}. {d.get('medicine') or d['drug_key']} - {d['dtp_type'].replace('_', ' ')} "
                              f"(ref. {d['dtp_id']})",
                      f"Recommendation: {d['recommendation']}"))
    return lines
