"""The claim-version rule (input-contract.md "Versions") on the staging model, where ``current_versions`` is used.

Issue 19 sends only claim ids seen more than once through the choice of a winner; a claim id seen once
must pass as it is, whatever its processed_at, and a repeated one must still follow the rule.
"""


def raw(claim_id: str, seq: int, processed_at: str | None, status: str = "paid") -> dict:
    return {"_file": "pharmacy_claim.csv", "_row": seq + 1, "_seq": seq, "claim_id": claim_id, "member_id": "M",
            "fill_date": "2025-09-01", "ndc": "00093714656", "days_supply": 30, "claim_status": status,
            "processed_at": processed_at}


def test_single_and_repeated_claim_ids(model):
    rows = model("stg_pharmacy_claim", raw_pharmacy_claim=[
        raw("ONCE", 0, None),                                   # seen once, no processed_at: kept
        raw("ONCE_BAD_TS", 1, None),  # seen once, unreadable processed_at (typed rows hold NULL for it): kept
        raw("TWICE", 2, "2025-09-03 10:00:00"),                 # the later version wins ...
        raw("TWICE", 3, "2025-09-02 10:00:00"),
        raw("TIE", 4, "2025-09-02 10:00:00"),                   # ... ties keep row order, last wins
        raw("TIE", 5, "2025-09-02 10:00:00"),
        raw("UNDONE", 6, "2025-09-01 10:00:00"),                # a winning reversal removes the fill
        raw("UNDONE", 7, "2025-09-04 10:00:00", status="reversed"),
        raw("ONCE_REVERSED", 8, "2025-09-04 10:00:00", status="reversed"),
    ], row_rejects=[])
    assert sorted((r["claim_id"], r["_seq"]) for r in rows) == [("ONCE", 0), ("ONCE_BAD_TS", 1), ("TIE", 5),
                                                                ("TWICE", 2)]
