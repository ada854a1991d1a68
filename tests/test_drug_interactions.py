"""Drug-drug interactions (targeting-rules.md section 8) and the product rule of the risk signals.

D = 2025-09-30: one member per row of the interaction table with an example pair covered together 20 days,
and the near misses -- no overlap, 6 versus 7 days together, a drug no longer active at D, a local product --
read back from tgt_drug_interaction, tgt_risk_signal, the risk flags (tgt_member_priority) and the published
evidence (member_risk_signals). The models from staging to those tables are built once by the model harness
from the claim rows (issue 24, ``tests/rule_chain.py``), not by a run. Fills named by generic name go through
the generic-name identity rule (an NDC the map does not know).
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from pipelines.reference import DATA_DIR
from tests.extract_builder import fill, medical, member
from tests.model_harness import ModelHarness
from tests.rule_chain import SIGNAL_CHAIN, build, by_member
from tests.targeting_harness import NDC

D = dt.date(2025, 9, 30)
UNKNOWN_NDC = "99999000001"
KETOCONAZOLE_CREAM = "00168009915"  # shipped map: topical, D01AC08


def on(member_id: str, drug: str, n: int, supply: int, **extra) -> dict:
    """A fill of `drug` (a generic name, or a key of the harness's NDC list) dated D - n."""
    if drug in NDC:
        return fill(member_id, D - dt.timedelta(days=n), NDC[drug], supply, **extra)
    return fill(member_id, D - dt.timedelta(days=n), extra.pop("ndc", UNKNOWN_NDC), supply,
                generic_name=drug, **extra)


# interaction id -> an example pair (object, precipitant) as generic names on claims
EXAMPLES = {
    "DDI01": ("lisinopril", "spironolactone"),
    "DDI02": ("spironolactone", "potassium chloride"),
    "DDI03": ("oxycodone hydrochloride", "alprazolam"),
    "DDI04": ("oxycodone hydrochloride", "gabapentin"),
    "DDI06": ("warfarin sodium", "amiodarone hydrochloride"),
    "DDI07": ("warfarin sodium", "ciprofloxacin hydrochloride"),
    "DDI08": ("warfarin sodium", "clarithromycin"),
    "DDI09": ("warfarin sodium", "sulfamethoxazole / trimethoprim"),
    "DDI10": ("warfarin sodium", "sertraline hydrochloride"),
    "DDI11": ("apixaban", "naproxen sodium"),
    "DDI12": ("lithium carbonate", "lisinopril"),
    "DDI13": ("lithium carbonate", "furosemide"),
    "DDI14": ("doxazosin mesylate", "furosemide"),
    "DDI15": ("phenytoin sodium", "sulfamethoxazole / trimethoprim"),
    "DDI16": ("theophylline", "cimetidine"),
    "DDI17": ("prednisone", "ibuprofen"),
    "DDI18": ("clopidogrel bisulfate", "omeprazole"),
    "DDI19": ("methotrexate sodium", "sulfamethoxazole / trimethoprim"),
    "DDI20": ("simvastatin", "clarithromycin"),
    "DDI21": ("lovastatin", "gemfibrozil"),
    "DDI22": ("sildenafil citrate", "isosorbide mononitrate"),
    "DDI23": ("tizanidine hydrochloride", "ciprofloxacin hydrochloride"),
    "DDI24": ("ramelteon", "fluvoxamine maleate"),
    "DDI25": ("phenelzine sulfate", "sertraline hydrochloride"),
    "DDI26": ("rasagiline mesylate", "tramadol hydrochloride"),
    "DDI27": ("atazanavir sulfate", "omeprazole"),
    "DDI28": ("thioridazine hydrochloride", "paroxetine hydrochloride"),
    "DDI29": ("dofetilide", "verapamil hydrochloride"),
    "DDI30": ("lisinopril", "sacubitril / valsartan"),
    "DDI31": ("warfarin sodium", "fluconazole"),
    "DDI32": ("apixaban", "clopidogrel bisulfate"),
    "DDI33": ("colchicine", "clarithromycin"),
    "DDI34": ("digoxin", "amiodarone hydrochloride"),
    "DDI35": ("spironolactone", "sulfamethoxazole / trimethoprim"),
    "DDI36": ("losartan potassium", "sulfamethoxazole / trimethoprim"),
    "DDI37": ("tramadol hydrochloride", "duloxetine hydrochloride"),
}
KEYS = {  # the drug keys the generic names resolve to
    "oxycodone hydrochloride": "oxycodone", "warfarin sodium": "warfarin", "amiodarone hydrochloride":
    "amiodarone", "ciprofloxacin hydrochloride": "ciprofloxacin", "sertraline hydrochloride": "sertraline",
    "naproxen sodium": "naproxen", "lithium carbonate": "lithium", "doxazosin mesylate": "doxazosin",
    "phenytoin sodium": "phenytoin", "clopidogrel bisulfate": "clopidogrel", "methotrexate sodium":
    "methotrexate", "sildenafil citrate": "sildenafil", "tizanidine hydrochloride": "tizanidine",
    "fluvoxamine maleate": "fluvoxamine", "phenelzine sulfate": "phenelzine", "rasagiline mesylate":
    "rasagiline", "tramadol hydrochloride": "tramadol", "atazanavir sulfate": "atazanavir",
    "thioridazine hydrochloride": "thioridazine", "paroxetine hydrochloride": "paroxetine",
    "verapamil hydrochloride": "verapamil", "losartan potassium": "losartan",
    "duloxetine hydrochloride": "duloxetine",
}


def key(name: str) -> str:
    return KEYS.get(name, name)


FILLS = []
for iid, (a, b) in EXAMPLES.items():  # both covered D-20 .. D-1: 20 days together
    FILLS += [on(iid, a, 20, 30), on(iid, b, 20, 20)]
FILLS += [
    # no overlap: warfarin D-80..D-51, ciprofloxacin D-40..D-31
    on("NOOVERLAP", "warfarin sodium", 80, 30), on("NOOVERLAP", "ciprofloxacin hydrochloride", 40, 10),
    # 7 days together (D-7..D-1) is enough, 6 is not
    on("DAYS7", "warfarin sodium", 30, 30), on("DAYS7", "ciprofloxacin hydrochloride", 7, 7),
    on("DAYS6", "warfarin sodium", 30, 30), on("DAYS6", "ciprofloxacin hydrochloride", 6, 6),
    # warfarin D-150..D-91 is no longer active; the 10 days with ciprofloxacin (D-100..D-91) are gone too
    on("INACTIVE", "warfarin sodium", 150, 60), on("INACTIVE", "ciprofloxacin hydrochloride", 100, 60),
    # local products: ketoconazole cream (map: D01AC08) and by generic name + route topical
    on("LOCALMAP", "simvastatin", 20, 30), on("LOCALMAP", "ketoconazole", 20, 30, ndc=KETOCONAZOLE_CREAM),
    on("LOCALROUTE", "simvastatin", 20, 30), on("LOCALROUTE", "ketoconazole", 20, 30, route="topical"),
    # the same ingredient taken by mouth does interact
    on("SYSTEMIC", "simvastatin", 20, 30), on("SYSTEMIC", "ketoconazole", 20, 30, route="oral"),
    # eye drops and skin products never count for any signal: timolol eye drops + oral metoprolol (not a
    # duplicate beta blocker), erythromycin eye ointment + warfarin, a ketoconazole cream + simvastatin
    on("EYESKIN", "timolol eye drops", 20, 30), on("EYESKIN", "metoprolol", 20, 30),
    on("EYESKIN", "erythromycin", 20, 30, route="ophthalmic"), on("EYESKIN", "warfarin sodium", 20, 30),
    on("EYESKIN", "lovastatin", 20, 30), on("EYESKIN", "ketoconazole", 20, 30, ndc=KETOCONAZOLE_CREAM),
    # a compounded cream has no ATC code: its topical route decides
    on("EYESKIN", "ketoconazole / lidocaine", 20, 30, ndc="00000000000", route="topical"),
    # systemic products by ATC whatever their route: butorphanol nasal spray, rectal diazepam gel, 40 days
    # with a benzodiazepine / an opioid; midazolam nasal spray 10 days with an opioid; promethazine
    # suppositories are an anticholinergic drug
    on("BUTORPHANOL", "butorphanol tartrate", 45, 45, route="nasal"), on("BUTORPHANOL", "alprazolam", 45, 40),
    on("RECTALDZP", "diazepam", 45, 45, route="rectal"), on("RECTALDZP", "oxycodone hydrochloride", 45, 40),
    on("MIDAZOLAM", "midazolam", 10, 10, route="nasal"), on("MIDAZOLAM", "oxycodone hydrochloride", 20, 30),
    on("PROMETH", "promethazine hydrochloride", 40, 40, route="rectal"),
    on("PROMETH", "oxybutynin chloride", 40, 40),
    # no pair twice: opioid + benzodiazepine 40 days is the opioid_benzodiazepine signal only; two ACE
    # inhibitors are duplicate therapy only; lisinopril + spironolactone (a symmetric row) is listed once
    on("ONCE", "oxycodone hydrochloride", 45, 45), on("ONCE", "alprazolam", 45, 45),
    on("ONCE", "lisinopril", 20, 30), on("ONCE", "enalapril maleate", 20, 30),
    on("ONCE", "spironolactone", 20, 30), on("ONCE", "warfarin sodium", 20, 30),
    on("ONCE", "ciprofloxacin hydrochloride", 20, 10), on("ONCE", "sertraline hydrochloride", 20, 30),
    # alpha-1 blocker + loop diuretic: older women only (DDI14 names sex F and age 65)
    on("MANALPHA", "doxazosin mesylate", 20, 30), on("MANALPHA", "furosemide", 20, 20),
    # opioid + gabapentinoid: Beers, 65 and over
    on("YOUNGGABA", "oxycodone hydrochloride", 20, 30), on("YOUNGGABA", "gabapentin", 20, 20),
]
MEMBERS = sorted({f["member_id"] for f in FILLS})
# RAS + potassium-sparing (DDI01) counts only with CKD stage 3a or worse (issue 25 item 8): a stage 4 claim
CKD_CLAIMS = [medical(m, "outpatient", D - dt.timedelta(days=100), "N184") for m in ("DDI01", "ONCE")]
OVERRIDES = {"MANALPHA": {"sex": "M"}, "YOUNGGABA": {"birth_date": "1970-01-01"}}


@pytest.fixture(scope="module")
def run(schema_warehouse, tmp_path_factory):
    """The models from staging to tgt_drug_interaction, tgt_risk_signal, tgt_member_priority (risk_flags) and
    member_risk_signals (the published evidence), built once by the harness from these rows."""
    eligibility = [member(m, **OVERRIDES.get(m, {})) for m in MEMBERS]
    built = build(ModelHarness(schema_warehouse), tmp_path_factory.mktemp("ddi"),
                  {"eligibility": eligibility, "pharmacy_claim": FILLS, "medical_claim": CKD_CLAIMS}, SIGNAL_CHAIN)
    cols = ("member_id", "interaction_id", "object_drug", "precipitant_drug", "severity", "severity_factor",
            "overlap_days", "first_day", "last_day", "detail")
    ddi = [{c: r[c] for c in cols} for r in built["tgt_drug_interaction"]]
    signals = [tuple(r[c] for c in ("member_id", "signal", "signal_group", "drugs", "overlap_days", "detail",
                                    "severity", "severity_factor")) for r in built["tgt_risk_signal"]]
    signal_fills = {(r["member_id"], r["drug_key"]) for r in built["tgt_signal_interval"]}
    evidence = [(r["member_id"], r["signal"], r["severity"], r["detail"]) for r in built["member_risk_signals"]]
    return {"summary": by_member(built["tgt_member_priority"]), "ddi": ddi, "signals": signals,
            "signal_fills": signal_fills, "evidence": evidence}


def ddi_of(run, member_id: str) -> list[dict]:
    return [r for r in run["ddi"] if r["member_id"] == member_id]


def signals_of(run, member_id: str) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in run["signals"]:
        if row[0] == member_id:
            out.setdefault(row[1], []).append(row)
    return out


def test_every_interaction_row_has_an_example():
    with (DATA_DIR / "drug_interactions.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    pair_rows = {r["interaction_id"] for r in rows if r["signal"] == "drug_interaction"}
    assert pair_rows == set(EXAMPLES)
    for r in rows:
        assert r["source"] and r["risk"] and r["severity"] in ("contraindicated", "major", "moderate"), r
        assert {r["object_kind"], r["precipitant_kind"]} <= {"ingredient", "drug_class", "atc", "flag"}, r


@pytest.mark.parametrize("interaction_id", sorted(EXAMPLES))
def test_each_interaction_is_flagged(run, interaction_id):
    a, b = EXAMPLES[interaction_id]
    rows = ddi_of(run, interaction_id)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["interaction_id"] == interaction_id
    assert {row["object_drug"], row["precipitant_drug"]} == {key(a), key(b)}
    assert (row["overlap_days"], row["first_day"], row["last_day"]) == (20, D - dt.timedelta(days=20),
                                                                          D - dt.timedelta(days=1))
    assert "drug_interaction" in run["summary"][interaction_id]["risk_flags"].split(";")


def test_evidence_in_words(run):
    (row,) = ddi_of(run, "DDI07")
    assert row["detail"] == ("warfarin + ciprofloxacin: bleeding risk, 20 days together, "
                             "last fills 2025-09-10 / 2025-09-10")
    (signal,) = signals_of(run, "DDI07")["drug_interaction"]
    assert signal[2:6] == ("warfarin + ciprofloxacin", "warfarin + ciprofloxacin", 20, row["detail"])
    assert signal[6:] == ("major", 0.75)
    assert ("DDI07", "drug_interaction", "major", row["detail"]) in run["evidence"]  # member_risk_signals
    (row,) = ddi_of(run, "DDI22")
    assert (row["severity"], row["severity_factor"]) == ("contraindicated", 1.0)


def test_near_misses(run):
    assert ddi_of(run, "NOOVERLAP") == []
    (row,) = ddi_of(run, "DAYS7")
    assert (row["overlap_days"], row["interaction_id"]) == (7, "DDI07")
    assert ddi_of(run, "DAYS6") == []
    assert "drug_interaction" not in run["summary"]["DAYS6"]["risk_flags"]
    assert ddi_of(run, "INACTIVE") == []
    assert ddi_of(run, "MANALPHA") == [] and ddi_of(run, "YOUNGGABA") == []


def test_local_products_never_interact_the_same_ingredient_by_mouth_does(run):
    assert ddi_of(run, "LOCALMAP") == []
    assert ddi_of(run, "LOCALROUTE") == []
    (row,) = ddi_of(run, "SYSTEMIC")
    assert (row["interaction_id"], row["object_drug"], row["precipitant_drug"]) == ("DDI20", "simvastatin",
                                                                                     "ketoconazole")


def test_eye_drops_and_skin_products_never_count(run):
    assert ddi_of(run, "EYESKIN") == []
    assert signals_of(run, "EYESKIN") == {}
    counted = {(m, k) for m, k in run["signal_fills"] if m == "EYESKIN"}
    assert counted == {("EYESKIN", "metoprolol"), ("EYESKIN", "warfarin"), ("EYESKIN", "lovastatin")}


def test_opioid_benzodiazepine_with_butorphanol_nasal_spray_and_rectal_diazepam(run):
    (butorphanol,) = signals_of(run, "BUTORPHANOL")["opioid_benzodiazepine"]
    assert (butorphanol[3], butorphanol[4]) == ("alprazolam + butorphanol", 40)
    (diazepam,) = signals_of(run, "RECTALDZP")["opioid_benzodiazepine"]
    assert (diazepam[3], diazepam[4]) == ("diazepam + oxycodone", 40)
    (midazolam,) = ddi_of(run, "MIDAZOLAM")
    assert (midazolam["interaction_id"], midazolam["precipitant_drug"], midazolam["overlap_days"]) == (
        "DDI03", "midazolam", 10)
    (ach,) = signals_of(run, "PROMETH")["anticholinergic_burden"]
    assert ach[3] == "oxybutynin + promethazine"
    assert ("PROMETH", "promethazine") in run["signal_fills"]  # its one fill: a suppository


def test_no_drug_pair_is_flagged_twice(run):
    pairs = [(r["member_id"], frozenset((r["object_drug"], r["precipitant_drug"]))) for r in run["ddi"]]
    assert len(pairs) == len(set(pairs))
    once = signals_of(run, "ONCE")
    # oxycodone + alprazolam: the 30-day signal reports it; lisinopril + enalapril: duplicate therapy
    assert once["opioid_benzodiazepine"][0][3] == "alprazolam + oxycodone"
    assert once["duplicate_therapy"][0][3] == "enalapril + lisinopril"
    reported = {frozenset(s[3].split(" + ")) for s in once["drug_interaction"]}
    assert reported == {frozenset(p) for p in [("enalapril", "spironolactone"), ("lisinopril", "spironolactone"),
                                               ("ciprofloxacin", "warfarin"), ("sertraline", "warfarin")]}
    in_table = {frozenset((r["object_drug"], r["precipitant_drug"])) for r in ddi_of(run, "ONCE")}
    assert in_table == reported | {frozenset(("alprazolam", "oxycodone")), frozenset(("enalapril", "lisinopril"))}
    # across the whole run: a pair named by a pair signal is not named again by drug_interaction
    by_member: dict[str, list[set]] = {}
    for m, signal, _group, drugs, *_ in run["signals"]:
        if signal in ("opioid_benzodiazepine", "duplicate_therapy", "drug_interaction"):
            by_member.setdefault(m, []).append((signal, set(drugs.split(" + "))))
    for m, rows in by_member.items():
        for signal, drugs in rows:
            if signal == "drug_interaction":
                others = [d for s, d in rows if s != "drug_interaction" and drugs <= d]
                assert others == [], (m, drugs)
