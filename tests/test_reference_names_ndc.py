"""Generic-name and NDC normalisation (targeting-rules.md section 2; input-contract NDC rule)."""

import duckdb
import pytest

from pipelines.engine.models import install_macros
from pipelines.reference import normalise_generic_name, normalise_ndc


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("atorvastatin calcium", "atorvastatin"),
        ("ATORVASTATIN CALCIUM TRIHYDRATE", "atorvastatin"),
        ("Metoprolol  Succinate ER", "metoprolol"),  # salt and dosage-form words drop (issue 11)
        ("metoprolol tartrate", "metoprolol"),
        ("potassium chloride", "potassium chloride"),
        ("calcium acetate", "calcium acetate"),
        ("sodium bicarbonate", "sodium bicarbonate"),
        ("amlodipine besylate / benazepril hcl", "amlodipine / benazepril"),
        ("Valsartan/Sacubitril", "sacubitril / valsartan"),
        ("valsartan /sacubitril", "sacubitril / valsartan"),
        ("EMTRICITABINE / TENOFOVIR DISOPROXIL FUMARATE", "emtricitabine / tenofovir disoproxil"),
        ("fluticasone propionate / salmeterol xinafoate", "fluticasone / salmeterol"),
        ("lanthanum carbonate", "lanthanum"),
        ("ferrous sulfate", "ferrous sulfate"),
        ("olmesartan medoxomil", "olmesartan"),
        ("  ", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_generic_name(name, key):
    assert normalise_generic_name(name) == key


NDC_CASES = [
    ("00071015523", "00071015523"),
    ("0071-0155-23", "00071015523"),  # 4-4-2: pad labeler
    ("68180-512-01", "68180051201"),  # 5-3-2: pad product
    ("60505-0829-1", "60505082901"),  # 5-4-1: pad package
    ("50090-4432-01", "50090443201"),  # 5-4-2 hyphenated 11 digits
    (" 00071015523 ", "00071015523"),
    ("0071015523", None),  # unhyphenated 10 digits: ambiguous
    ("0071-155-23", None),
    ("1234567890123", None),
    ("0007101552A", None),
    ("abc", None),
    ("", None),
    ("00071-0155-233", None),
]


@pytest.mark.parametrize(("text", "expected"), NDC_CASES)
def test_normalise_ndc(text, expected):
    assert normalise_ndc(text) == expected


def test_normalise_ndc_none():
    assert normalise_ndc(None) is None


def test_sql_macro_agrees_with_python():
    con = duckdb.connect()
    install_macros(con)
    cases = [t for t, _ in NDC_CASES] + [None]
    con.execute("CREATE TABLE t (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(cases)))
    got = dict(con.execute("SELECT i, normalise_ndc(x) FROM t").fetchall())
    assert [got[i] for i in range(len(cases))] == [normalise_ndc(c) for c in cases]
