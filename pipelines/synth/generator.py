"""Synthetic Medicare Part D population in the canonical extract layout (input-contract.md).

``generate(members, seed, out_dir, as_of)`` writes ``eligibility``, ``pharmacy_claim``,
``medical_claim``, ``mtm_event``, ``dmp_arb``, ``member_status`` (CSV or Parquet) and ``extract.toml``.

Design: members are generated in chunks of ``CHUNK`` members; each chunk has its own random stream
(``seed``, chunk number), is built with numpy/polars column operations only (no per-row Python), and
is appended to the output files, so memory stays bounded and the same seed gives byte-identical files.
Dates are handled as integer days since 1970-01-01 until the frames are built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from pipelines.ingest.contract import DIAGNOSIS_POSITIONS, TABLES
from pipelines.synth import model as M
from pipelines.synth.catalog import Catalog, load_catalog

CHUNK = 100_000
EPOCH = date(1970, 1, 1)
TABLE_ORDER = ("eligibility", "pharmacy_claim", "medical_claim", "mtm_event", "dmp_arb",
               "member_status")  # fmt: skip
MONEY = pl.Decimal(12, 2)
DTP_TYPES = TABLES["mtm_event"].column("dtp_type").allowed


def _d(day: date) -> int:
    return (day - EPOCH).days


# --------------------------------------------------------------------------------------------
# small vectorised helpers
def _pick(rng: np.random.Generator, n: int, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return np.searchsorted(c, rng.random(n), side="right").astype(np.int32)


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error < 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))  # noqa: E501
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _ids(prefix: str, nums: np.ndarray, width: int) -> pl.Series:
    s = pl.Series(nums.astype(np.int64)).cast(pl.String).str.zfill(width)
    return pl.select(pl.lit(prefix) + s).to_series()


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    if mask is not None:
        s = pl.select(pl.when(pl.Series(mask)).then(s)).to_series()
    return s


def _gather(values, idx: np.ndarray, mask: np.ndarray | None = None) -> pl.Series:
    """values[idx] as a polars Series; null where mask is False."""
    src = values if isinstance(values, pl.Series) else pl.Series(list(values))
    ix = pl.Series(idx.astype(np.int64))
    if mask is not None:
        ix = pl.select(pl.when(pl.Series(mask)).then(ix)).to_series()
    return src.gather(ix)


def _month_start(days: np.ndarray) -> np.ndarray:
    m = days.astype("datetime64[D]").astype("datetime64[M]")
    return m.astype("datetime64[D]").astype(np.int64)


def _month_end(days: np.ndarray) -> np.ndarray:
    m = days.astype("datetime64[D]").astype("datetime64[M]") + 1
    return m.astype("datetime64[D]").astype(np.int64) - 1


def _add_months(days: np.ndarray, k) -> np.ndarray:
    m = days.astype("datetime64[D]").astype("datetime64[M]") + np.asarray(k)
    return m.astype("datetime64[D]").astype(np.int64)


def _npi(rng: np.random.Generator, n: int, first: int) -> np.ndarray:
    """n distinct-ish 10-digit NPIs starting with `first`, with a valid Luhn check digit."""
    body = rng.integers(0, 10**8, n)
    digits = np.stack([np.full(n, first)] + [(body // 10**k) % 10 for k in range(7, -1, -1)], 1)
    # Luhn over the prefix 80840 + 9 digits: double every second digit from the right of the body
    dbl = digits[:, ::-1][:, ::2] * 2
    s = 24 + (dbl // 10 + dbl % 10).sum(1) + digits[:, ::-1][:, 1::2].sum(1)
    check = (10 - s % 10) % 10
    return (first * 10**9 + body * 10 + check).astype(np.int64)


# --------------------------------------------------------------------------------------------
@dataclass
class Ctx:
    rng: np.random.Generator
    n: int
    g0: int  # global index of the chunk's first member
    as_of: int
    hist_start: int
    cat: Catalog
    prescribers: np.ndarray
    pharmacies: np.ndarray
    mail_pharmacies: np.ndarray


def _members(c: Ctx) -> dict:
    rng, n = c.rng, c.n
    gidx = c.g0 + np.arange(n)
    # age at as_of: ~12% disabled under 65, a handful of children (ESRD), the rest 65+
    u = rng.random(n)
    age = np.where(
        u < 0.12,
        np.clip(64 - rng.exponential(9.0, n), 21, 64.99),
        np.clip(65 + rng.exponential(11.5, n), 65, 104.5),
    )
    minor = gidx % 2500 == 7
    age = np.where(minor, 9 + rng.random(n) * 8.9, age)
    birth = (c.as_of - age * 365.25).astype(np.int64)
    female = rng.random(n) < np.where(age >= 65, 0.56, 0.47)
    band = np.digitize(age, [65, 75, 85])
    # conditions: Gaussian copula with a shared frailty factor, age-adjusted marginals
    frail = rng.standard_normal(n)
    conds = np.zeros((n, len(M.CONDITIONS)), dtype=bool)
    for j, name in enumerate(M.CONDITIONS):
        risk = np.asarray(M.AGE_RISK[name])[band]
        p = np.clip(M.PREVALENCE[name] * risk / risk.mean(), 0, 0.97)
        lat = M.FRAILTY_LOADING * frail + math.sqrt(1 - M.FRAILTY_LOADING**2) * rng.standard_normal(n)  # noqa: E501
        conds[:, j] = _phi(lat) < p
    esrd_j = M.CONDITIONS.index("esrd")
    conds[minor, esrd_j] = True
    ncond = conds.sum(1)
    # mortality over the history window (~4.5%/yr, steeply age- and frailty-dependent)
    years = (c.as_of - c.hist_start + 1) / 365.25
    q = 0.045 * years * np.exp(0.07 * (age - 78)) * np.exp(0.25 * (ncond - 2.5))
    die = (rng.random(n) < np.clip(q, 0, 0.6)) & ~minor
    death = np.where(die, rng.integers(c.hist_start + 30, c.as_of, n), -1)

    lis = rng.random(n) < np.where(age < 65, 0.62, 0.24)
    lis_full = rng.random(n) < 0.7
    # residence, names, contacts
    place = _pick(rng, n, [p[4] for p in M.PLACES])
    lang = _pick(rng, n, list(M.LANGUAGES.values()))
    return dict(
        gidx=gidx, age=age, birth=birth, female=female, conds=conds, ncond=ncond, frail=frail, minor=minor,
        death=death, lis=lis, lis_full=lis_full, place=place, lang=lang,
        mail=rng.random(n) < 0.28,
        adherence=_pick(rng, n, [0.62, 0.26, 0.12]),  # good / moderate / poor
        first=np.where(female, rng.integers(0, len(M.FIRST_F), n), rng.integers(0, len(M.FIRST_M), n)),  # fmt: skip
        last=rng.integers(0, len(M.LAST), n),
        presc=c.prescribers[rng.integers(0, len(c.prescribers), (n, 3))],
        pharm=c.pharmacies[rng.integers(0, len(c.pharmacies), n)],
    )


def _spans(c: Ctx, m: dict) -> dict:
    """Enrollment spans (one row each) and the member's fill window."""
    rng, n = c.rng, c.n
    as_of, hs = c.as_of, c.hist_start
    # first enrollment: aged in at 65 (month of the 65th birthday) or years ago (disabled), some
    # switched in on a later January 1; recent joiners (30-60 days ago) and CY joiners.
    aged_in = _month_start(m["birth"] + (65 * 365.25)).astype(np.int64)
    long_ago = _month_start(rng.integers(_d(date(2008, 1, 1)), hs - 31, n))
    start = np.where(m["age"] >= 65.2,
                     np.where(rng.random(n) < 0.6, aged_in, np.maximum(aged_in, long_ago)),
                     long_ago)  # fmt: skip
    start = np.where(m["minor"], _month_start(rng.integers(as_of - 900, as_of - 200, n)), start)
    kind = _pick(rng, n, [0.80, 0.045, 0.035, 0.025, 0.05, 0.045])
    # 0 stable, 1 contract change, 2 disenrolled, 3 recent joiner, 4 joined Jan 1 of CY, 5 change w/ gap
    cy_start = _d(date.fromordinal(date(1970, 1, 1).toordinal() + as_of).replace(month=1, day=1))
    recent = _add_months(_month_start(np.full(n, as_of)), -rng.integers(1, 3, n))
    start = np.where(kind == 3, recent, start)
    start = np.where((kind == 4) & (cy_start > hs), cy_start, start)
    start = np.minimum(start, _month_start(np.full(n, as_of)))
    # nobody dies before (or within a month of) joining the plan
    m["death"] = np.where((m["death"] >= 0) & (m["death"] < start + 30), -1, m["death"])
    contract = _pick(rng, n, [x[1] for x in M.CONTRACTS])
    pbp = rng.integers(0, 2, n)
    end = np.full(n, -1, dtype=np.int64)
    # change of contract: first span ends at a month end in the last 12 months, second starts
    change = (kind == 1) | (kind == 5)
    cut = _month_start(rng.integers(max(hs + 60, as_of - 365), as_of - 20, n))
    change &= cut > start + 60
    gap = np.where(kind == 5, rng.integers(1, 3, n), 0)
    gap = np.where(_add_months(cut, gap) > as_of, 0, gap)
    disen = kind == 2
    disen_end = _month_end(rng.integers(hs + 60, as_of - 10, n))
    disen &= disen_end > start + 30
    end = np.where(disen, disen_end, end)
    # a few announced disenrollments effective at the end of the current month
    future = (rng.random(n) < 0.004) & ~disen & ~change
    end = np.where(future, _month_end(np.full(n, as_of)), end)
    # deaths: coverage ends at the end of the month of death
    dead = m["death"] >= 0
    end = np.where(dead & ((end < 0) | (end > m["death"])), _month_end(m["death"]), end)
    change &= ~dead | (m["death"] > cut + 62)
    # spans table: the base span, plus the second span of a contract change
    s1_end = np.where(change, cut - 1, end)
    second_start = _add_months(cut, gap)
    contract2 = (contract + 1 + rng.integers(0, len(M.CONTRACTS) - 1, n)) % len(M.CONTRACTS)
    member_idx = np.concatenate([np.arange(n), np.nonzero(change)[0]])
    span = dict(
        member=member_idx,
        start=np.concatenate([start, second_start[change]]),
        end=np.concatenate([s1_end, end[change]]),
        contract=np.concatenate([contract, contract2[change]]),
        pbp=np.concatenate([pbp, rng.integers(0, 2, change.sum())]),
    )
    last_contract = np.where(change, contract2, contract)
    # the window in which the member fills prescriptions (pending fills: leaks outside spans)
    w0 = np.maximum(hs, start)
    leak_before = (rng.random(n) < 0.01) & (start > hs + 30)
    w0 = np.where(leak_before, start - rng.integers(3, 25, n), w0)
    last_end = np.where(end >= 0, end, as_of)
    w1 = np.minimum(as_of, last_end)
    leak_after = disen & (rng.random(n) < 0.25)
    w1 = np.where(leak_after, np.minimum(as_of, last_end + rng.integers(3, 25, n)), w1)
    w1 = np.where(dead, np.minimum(w1, m["death"]), w1)
    return dict(span=span, start=start, end=end, w0=w0, w1=w1, kind=kind, change=change,
                cut=cut, last_contract=last_contract, disen=disen)  # fmt: skip


# --------------------------------------------------------------------------------------------
def _regimens(c: Ctx, m: dict) -> tuple[np.ndarray, np.ndarray]:
    rng, n, cat = c.rng, c.n, c.cat
    regs_m: list[np.ndarray] = []
    regs_p: list[np.ndarray] = []

    def slot(mask: np.ndarray, prob: float, choices: Mapping[str, float]) -> np.ndarray:
        sel = np.nonzero(mask & (rng.random(n) < prob))[0]
        pids = np.array([cat.index[k] for k in choices], dtype=np.int32)
        regs_m.append(sel)
        regs_p.append(pids[_pick(rng, len(sel), list(choices.values()))])
        return sel

    for j, name in enumerate(M.CONDITIONS):
        treated = m["conds"][:, j] & (rng.random(n) < M.TREATED[name])
        for prob, choices in M.SLOTS[name]:
            slot(treated, prob, choices)
        if name == "hiv_aids":
            biktarvy = np.zeros(n, bool)
            biktarvy[regs_m[-1]] = True
            for label in M.HIV_ALTERNATIVE:
                slot(treated & ~biktarvy, 1.0, {label: 1})
    age = m["age"]
    # multimorbid members take more of everything (polypharmacy follows the condition count)
    load = np.clip(M.OTHER_LOAD[0] + M.OTHER_LOAD[1] * m["ncond"], 0.2, M.OTHER_LOAD[2])
    load_max = M.OTHER_LOAD[2]
    for prob, choices, only in M.OTHER_SLOTS:
        mask = np.ones(n, bool)
        if only == "M":
            mask = ~m["female"]
        elif only == "F":
            mask = m["female"]
        elif only == "65":
            mask = age >= 65
        p = min(prob * load_max, 1.0)
        slot(mask & ~m["minor"] & (rng.random(n) < load * prob / p), p, choices)
    frail_boost = 1 + 0.5 * (m["frail"] > 1)
    opioid = np.zeros(n, bool)
    opioid[slot(~m["minor"] & (rng.random(n) < frail_boost / 1.5), M.CHRONIC_OPIOID[0] * 1.5,
                M.CHRONIC_OPIOID[1])] = True  # fmt: skip
    p_b, p_b_op, ch = M.BENZO
    slot(~m["minor"] & ~opioid, p_b, ch)
    slot(opioid, p_b_op, ch)
    m["opioid"] = opioid
    rm = np.concatenate(regs_m)
    rp = np.concatenate(regs_p)
    # one regimen per member and product
    key = rm.astype(np.int64) * 1000 + rp
    _, first = np.unique(key, return_index=True)
    first.sort()
    return rm[first], rp[first]


def _fills(c: Ctx, m: dict, s: dict, rm: np.ndarray, rp: np.ndarray) -> pl.DataFrame:
    rng, cat = c.rng, c.cat
    R = len(rm)
    w0, w1 = s["w0"][rm], s["w1"][rm]
    prn = np.isin(rp, [cat.index[k] for k in M.PRN if k in cat.index])
    noise_cond = np.array([cat.condition[p] not in M.CONDITIONS for p in range(len(cat.names))])
    # timing: prevalent regimens were running before the window; some start or stop inside it
    incident = rng.random(R) < np.where(noise_cond[rp], 0.30, 0.15)
    span_len = np.maximum(w1 - w0, 0)
    start = np.where(incident, w0 + (rng.random(R) * span_len).astype(np.int64), w0)
    stop = rng.random(R) < np.where(noise_cond[rp], 0.20, 0.09)
    end = np.where(stop, start + (rng.random(R) * (w1 - start)).astype(np.int64), w1)
    ninety = rng.random(R) < np.where(m["mail"][rm], 0.8, 0.1)
    ds2 = cat.ds2[rp]
    two = ds2 > 0
    use2 = np.where(ds2 >= 84, ninety, rng.random(R) < 0.5) & two
    ds = np.where(use2, ds2, cat.ds1[rp]).astype(np.int64)
    mult = ds == 28
    ds = np.where(mult & ninety, 84, ds)
    first = start + np.where(incident, 0, (rng.random(R) * ds).astype(np.int64))
    gap_mean = np.array([0.06, 0.22, 0.6])[m["adherence"][rm]]
    gap_mean = np.where(prn, 1.6, gap_mean)
    K = np.where(first <= end, (end - first) // np.maximum((ds * 0.85).astype(np.int64), 1) + 1, 0)
    rows = np.repeat(np.arange(R), K)
    grp_start = np.cumsum(K) - K
    pos = np.arange(len(rows)) - np.repeat(grp_start, K)
    gap = rng.exponential(1.0, len(rows)) * gap_mean[rows] - 0.06
    interval = np.maximum(1, np.rint(ds[rows] * (1 + np.maximum(gap, -0.15)))).astype(np.int64)
    cs = np.cumsum(interval) - interval
    fill = first[rows] + cs - np.repeat(cs[grp_start[K > 0]], K[K > 0])
    keep = fill <= end[rows]
    rows, pos, fill = rows[keep], pos[keep], fill[keep]
    cycle = np.maximum(1, 360 // ds)
    phase = np.where(incident, 0, rng.integers(0, 12, R))
    refill = (pos + phase[rows]) % cycle[rows]
    ds_f = ds[rows]
    # acute fills: single fills, no refills
    n = c.n
    years = (s["w1"] - s["w0"]).clip(0) / 365.25
    k_ac = rng.poisson(M.ACUTE_RATE * years * (1 + 0.5 * m["conds"][:, 6]))
    am = np.repeat(np.arange(n), k_ac)
    ap = np.array([cat.index[k] for k in M.ACUTE])[_pick(rng, len(am), list(M.ACUTE.values()))]
    afill = s["w0"][am] + (rng.random(len(am)) * (s["w1"] - s["w0"])[am]).astype(np.int64)
    a_ds = np.where(cat.ds2[ap] > 0, np.where(rng.random(len(am)) < 0.5, cat.ds2[ap], cat.ds1[ap]),
                    cat.ds1[ap])  # fmt: skip
    a_ds = np.where(ap == cat.index["Hydrocodone-Acetaminophen Tablet"], rng.integers(3, 8, len(am)),
                    a_ds)  # fmt: skip
    # all fills
    mem = np.concatenate([rm[rows], am])
    prod = np.concatenate([rp[rows], ap])
    fdate = np.concatenate([fill, afill])
    dsup = np.concatenate([ds_f, a_ds]).astype(np.int64)
    refill = np.concatenate([refill, np.zeros(len(am), np.int64)])
    reg_presc = rng.integers(0, 3, R)
    presc_slot = np.concatenate([reg_presc[rows], rng.integers(0, 3, len(am))])
    order = np.lexsort((prod, fdate, mem))
    mem, prod, fdate, dsup, refill, presc_slot = (x[order] for x in (mem, prod, fdate, dsup, refill,
                                                                     presc_slot))  # fmt: skip
    F = len(mem)
    # NDC: one per regimen mostly, sometimes the other package / labeler
    n_ndc = np.array([len(x) for x in cat.ndc])
    width = max(3, int(n_ndc.max()))  # slots per product (3 unless --ndc-only widened the pools)
    ndc_flat = pl.Series([x for p in cat.ndc for x in (p + [p[0]] * (width - len(p)))])
    slot_i = (mem * 7 + prod) % n_ndc[prod]
    swap = rng.random(F) < 0.08
    slot_i = np.where(swap, rng.integers(0, 3, F) % n_ndc[prod], slot_i)
    ndc = _gather(ndc_flat, prod * width + slot_i)
    # quantity
    upd = cat.upd[prod]
    qty = np.where(upd > 0, np.round(dsup * upd, 0), np.ceil(dsup / 30.0))
    qty = np.maximum(qty, 1)
    # cost: catalog 30-day cost, per-fill noise, dispensing fee; mail order 90-day discount
    mail_fill = (dsup >= 84) & m["mail"][mem]
    brand = cat.brand[prod]
    unit = cat.cost * np.where(cat.brand, 1.0, M.GENERIC_COST_SCALE)
    gross = unit[prod] * dsup / 30.0 * np.exp(rng.normal(0, 0.06, F))
    gross = gross * np.where(mail_fill, 0.9, 1.0) + np.where(mail_fill, 0.0, np.where(brand, 1.0, 1.75))  # noqa: E501
    gross = np.round(gross, 2)
    months = np.maximum(dsup / 30.0, 0.34)
    lis = m["lis"][mem]
    lis_copay = np.where(m["lis_full"][mem], np.where(brand, 4.80, 1.60), np.where(brand, 12.15, 4.90))
    tier_copay = np.array([0.0, 2.0, 5.0, 10.0])[(prod * 3 + mem % 2) % 4]
    insulin = np.isin(prod, [cat.index["Lantus"]])
    reg_copay = np.where(brand, np.minimum(0.25 * gross, 47.0 * months), tier_copay * months)
    reg_copay = np.where(insulin, np.minimum(reg_copay, 35.0 * months), reg_copay)
    pay = np.round(np.minimum(gross, np.where(lis, lis_copay, reg_copay)), 2)
    plan = np.round(gross - pay, 2)
    # coverage: excluded (E) and OTC (O) products, and a few random enhanced-alternative fills
    cond_arr = np.array(cat.condition)
    code = np.where(cond_arr[prod] == "excluded_e", "E", np.where(cond_arr[prod] == "otc_o", "O", "C"))
    code = np.where((code == "C") & (rng.random(F) < 0.002), "E", code)
    covered = code == "C"
    # names as the PBM sends them: mostly catalog, some variants, a few missing
    gen_idx = np.arange(len(cat.names))
    var_lists = [[cat.generic[p]] + cat.variants[p] for p in gen_idx]
    var_flat = pl.Series([v for lst in var_lists for v in (lst + [lst[0]] * (4 - len(lst)))])
    n_var = np.array([len(v) for v in var_lists])
    vsel = np.where(rng.random(F) < 0.12, rng.integers(0, 4, F) % n_var[prod], 0)
    gmask = (rng.random(F) > 0.015) & (np.array([len(g) for g in cat.generic])[prod] > 0)
    generic = _gather(var_flat, prod * 4 + vsel, gmask)
    route_mask = rng.random(F) > 0.05
    # prescriber and pharmacy
    presc = m["presc"][mem, presc_slot]
    pharm = np.where(mail_fill, c.mail_pharmacies[mem % len(c.mail_pharmacies)], m["pharm"][mem])
    pharm = np.where(rng.random(F) < 0.07, c.pharmacies[rng.integers(0, len(c.pharmacies), F)], pharm)
    # adjudication time: same day mostly, business hours
    lag = np.where(rng.random(F) < 0.85, 0, rng.integers(1, 4, F))
    sec = (fdate + lag) * 86400 + rng.integers(7 * 3600, 22 * 3600, F)
    df = pl.DataFrame(
        {
            "claim_id": pl.Series(np.zeros(F, np.int64)),  # numbered by the caller
            "member_id": _ids("M", m["gidx"][mem] + 1, 9),
            "fill_date": _dates(fdate),
            "ndc": ndc,
            "days_supply": pl.Series(dsup, dtype=pl.Int32),
            "quantity": pl.Series(qty),
            "gross_drug_cost": pl.Series(gross),
            "patient_pay_amount": pl.Series(pay),
            "plan_paid_amount": pl.Series(plan),
            "generic_name": generic,
            "drug_name": _gather(cat.names, prod),
            "prescriber_npi": pl.Series(presc).cast(pl.String),
            "pharmacy_npi": pl.Series(pharm).cast(pl.String),
            "refill_number": pl.Series(refill, dtype=pl.Int32),
            "part_d_covered": pl.Series(covered),
            "drug_coverage_status_code": pl.Series(code),
            "route": _gather(cat.route, prod, route_mask),
            "claim_status": pl.Series(np.full(F, "paid")),
            "processed_at": pl.Series(sec * 1_000_000).cast(pl.Datetime("us")),
            "_member": pl.Series(mem.astype(np.int32)),
            "_prod": pl.Series(prod.astype(np.int32)),
        }
    )
    return df


def _versions(rng: np.random.Generator, df: pl.DataFrame, money: tuple[str, ...]) -> pl.DataFrame:
    """Append reversals (~2%), re-adjudications (~2%), reversed-then-repaid (~0.3%) and exact
    duplicates (~0.1%); a few original versions lose their processed_at."""
    F = df.height
    u = rng.random(F)
    later = pl.duration(days=pl.lit(pl.Series(rng.integers(1, 30, F))), hours=pl.lit(pl.Series(rng.integers(0, 9, F))))
    base = df.with_columns(_later=pl.col("processed_at") + later)
    rev = base.filter(pl.Series(u < 0.02) | pl.Series(u >= 0.997)).with_columns(
        claim_status=pl.lit("reversed"), processed_at=pl.col("_later")
    )
    factor = pl.Series(np.round(rng.uniform(0.8, 1.2, F), 3))
    adj = base.with_columns(_f=factor).filter(pl.Series((u >= 0.02) & (u < 0.04)))
    adj = adj.with_columns(
        [(pl.col(c) * pl.col("_f")).round(2).alias(c) for c in money[:1]] + [pl.col("_later").alias("processed_at")]
    ).drop("_f")
    if len(money) == 3:  # pharmacy: keep patient_pay + plan_paid = gross
        adj = adj.with_columns(pl.min_horizontal(money[1], money[0]).alias(money[1])).with_columns(
            (pl.col(money[0]) - pl.col(money[1])).round(2).alias(money[2])
        )
    repay = base.filter(pl.Series(u >= 0.997)).with_columns(processed_at=pl.col("_later") + pl.duration(days=2))
    dup = base.filter(pl.Series((u >= 0.05) & (u < 0.051)))
    no_ts = pl.Series((u >= 0.02) & (u < 0.0205))
    orig = base.with_columns(processed_at=pl.when(no_ts).then(None).otherwise(pl.col("processed_at")))
    return pl.concat([orig, dup, rev, adj, repay]).drop("_later")


# --------------------------------------------------------------------------------------------
def _medical(c: Ctx, m: dict, s: dict) -> pl.DataFrame:
    rng, n = c.rng, c.n
    nC = len(M.CONDITIONS)
    code_list = list(dict.fromkeys([k for d in M.DX_CODES.values() for k in d]
                                   + list(M.NOISE_CODES) + list(M.HOSPICE_CODES)
                                   + list(M.INVALID_CODES)))  # fmt: skip
    cidx = {k: i for i, k in enumerate(code_list)}
    nK = len(code_list)
    dotted = [k if len(k) <= 3 else k[:3] + "." + k[3:] for k in code_list]
    strings = pl.Series(code_list + dotted)
    has_medical = np.array([M.CONTRACTS[x][0][0] == "H" for x in range(len(M.CONTRACTS))])[s["last_contract"]]
    # evidence level of each member-condition: 0 none (drugs only), 1 single claim, 2 full
    ev = _pick(rng, n * nC, [1 - sum(M.DX_EVIDENCE), M.DX_EVIDENCE[1], M.DX_EVIDENCE[0]])
    ev = ev.reshape(n, nC) * m["conds"] * has_medical[:, None]
    mcode = np.zeros((n, nC), np.int32)
    for j, name in enumerate(M.CONDITIONS):
        d = M.DX_CODES[name]
        mcode[:, j] = np.array([cidx[k] for k in d])[_pick(rng, n, list(d.values()))]
    # ordinary visits over the history window (dx history does not need Part D)
    lo = c.hist_start
    lam = (1.5 + 1.6 * (ev == 2).sum(1)) * (c.as_of - lo + 1) / 365.25
    lam = np.where(has_medical, lam, 0)
    k = rng.poisson(lam)
    vm = np.repeat(np.arange(n), k)
    V = len(vm)
    vend = np.where(m["death"][vm] >= 0, np.minimum(m["death"][vm], c.as_of), c.as_of)
    vdate = lo + (rng.random(V) * (vend - lo + 1)).astype(np.int64)
    types = list(M.CLAIM_TYPES)
    vt = _pick(rng, V, list(M.CLAIM_TYPES.values()))
    # frail members are admitted more often
    vt = np.where((vt == 0) & (m["frail"][vm] > 1.3) & (rng.random(V) < 0.05), 2, vt)
    p_list = np.array([M.DX_LISTED[t] for t in types])[vt]
    listed = (ev[vm] == 2) & (rng.random((V, nC)) < p_list[:, None])
    cells = np.where(listed, mcode[vm], -1)
    noise_w = list(M.NOISE_CODES.values())
    noise_ids = np.array([cidx[k] for k in M.NOISE_CODES])
    lo_pos = np.array([M.DX_POSITIONS[t][0] for t in types])[vt]
    hi_pos = np.array([M.DX_POSITIONS[t][1] for t in types])[vt]
    want = rng.integers(lo_pos, hi_pos + 1)
    noise = noise_ids[_pick(rng, V * 6, noise_w)].reshape(V, 6)
    have = listed.sum(1)
    n_noise = np.clip(want - have, 0, 6)
    noise = np.where(np.arange(6)[None, :] < n_noise[:, None], noise, -1)
    # a handful of invalid codes in secondary positions
    bad = rng.random(V) < 0.0008
    noise[bad, 5] = cidx[M.INVALID_CODES[0]]
    noise[bad & (rng.random(V) < 0.5), 5] = cidx[M.INVALID_CODES[1]]
    # primary: a chronic code on most visits when the member has one, else a noise code
    mat = np.concatenate([cells, noise], 1)
    mat = _compact(rng, mat, shuffle_first=True)
    # single-claim evidence: exactly one professional claim with that code
    sm, sj = np.nonzero(ev == 1)
    sd = lo + (rng.random(len(sm)) * (c.as_of - lo + 1)).astype(np.int64)
    sd = np.where(m["death"][sm] >= 0, np.minimum(sd, m["death"][sm]), sd)
    smat = np.full((len(sm), mat.shape[1]), -1, np.int32)
    smat[:, 0] = mcode[sm, sj]
    smat[:, 1] = noise_ids[_pick(rng, len(sm), noise_w)]
    # hospice claims: monthly, with the terminal diagnosis (not evidence)
    hm = m.get("hospice_member", np.zeros(0, np.int64))
    hd = m.get("hospice_start", np.zeros(0, np.int64))
    keep_h = has_medical[hm] & (hd <= c.as_of)
    hm, hd = hm[keep_h], hd[keep_h]
    hmat = np.full((len(hm), mat.shape[1]), -1, np.int32)
    if len(hm):
        hmat[:, 0] = np.array([cidx[k] for k in M.HOSPICE_CODES])[_pick(rng, len(hm), list(M.HOSPICE_CODES.values()))]
    mem = np.concatenate([vm, sm, hm]).astype(np.int64)
    start = np.concatenate([vdate, sd, hd])
    ctype = np.concatenate([vt, np.zeros(len(sm), np.int64), np.full(len(hm), len(types))])
    allmat = np.concatenate([mat, smat, hmat])
    types_all = types + ["hospice"]
    los = np.array([0, 0, 4, 18, 40, 28])[ctype] * rng.uniform(0.5, 1.5, len(mem))
    end = start + np.rint(los).astype(np.int64)
    order = np.lexsort((start, mem))
    mem, start, ctype, allmat, end = mem[order], start[order], ctype[order], allmat[order], end[order]
    N = len(mem)
    dot = rng.random((N, allmat.shape[1])) < 0.2
    cols = {}
    for p in range(DIAGNOSIS_POSITIONS):
        if p < allmat.shape[1]:
            ix = allmat[:, p].astype(np.int64) + np.where(dot[:, p], nK, 0)
            cols[f"diagnosis_code_{p + 1}"] = _gather(strings, ix, allmat[:, p] >= 0)
        else:
            cols[f"diagnosis_code_{p + 1}"] = pl.select(pl.repeat(None, N, dtype=pl.String)).to_series()
    sec = (end + rng.integers(7, 45, N)) * 86400 + rng.integers(0, 86400, N)
    df = pl.DataFrame(
        {
            "claim_id": pl.Series(np.zeros(N, np.int64)),
            "member_id": _ids("M", m["gidx"][mem] + 1, 9),
            "claim_type": _gather(types_all, ctype),
            "claim_start_date": _dates(start),
            "claim_end_date": _dates(end),
            **cols,
            "icd_version": pl.Series(np.full(N, "10")),
            "claim_status": pl.Series(np.full(N, "paid")),
            "processed_at": pl.Series(sec * 1_000_000).cast(pl.Datetime("us")),
        }
    )
    return df


def _compact(rng: np.random.Generator, mat: np.ndarray, shuffle_first: bool) -> np.ndarray:
    """Move the non-empty cells of each row to the front (row order randomised), 12 columns."""
    V, W = mat.shape
    key = np.where(mat >= 0, rng.random((V, W)), 2.0)
    order = np.argsort(key, axis=1, kind="stable")
    out = np.take_along_axis(mat, order, 1)[:, :12]
    return out


# --------------------------------------------------------------------------------------------
def _statuses(c: Ctx, m: dict, s: dict) -> tuple[pl.DataFrame, dict]:
    rng, n, as_of = c.rng, c.n, c.as_of
    hs = c.hist_start
    mid = _ids("M", m["gidx"] + 1, 9)
    rows = []  # (member idx array, status, start, end(-1 = open))
    dead = m["death"] >= 0
    # hospice before death, a few alive in hospice now, a few revoked
    h_dead = dead & (rng.random(n) < 0.45)
    h_dead_start = np.maximum(m["death"] - rng.integers(3, 120, n), s["start"])
    h_live = ~dead & (rng.random(n) < 0.012 * (1 + (m["age"] > 85))) & (s["end"] < 0)
    h_live_start = np.maximum(as_of - rng.integers(5, 150, n), s["start"])
    h_rev = ~dead & ~h_live & (rng.random(n) < 0.002)
    h_rev_start = np.maximum(as_of - rng.integers(120, 400, n), s["start"])
    h_rev_end = np.minimum(h_rev_start + rng.integers(20, 90, n), as_of - 1)
    h_rev &= h_rev_end > h_rev_start
    hospice_now = h_live
    for mask, st, en in ((h_dead, h_dead_start, m["death"]), (h_live, h_live_start, None),
                         (h_rev, h_rev_start, h_rev_end)):  # fmt: skip
        i = np.nonzero(mask)[0]
        rows.append((i, "hospice", st[i], en[i] if en is not None else np.full(len(i), -1)))
    hm = np.concatenate([r[0] for r in rows])
    hstart = np.concatenate([r[2] for r in rows])
    hend = np.concatenate([np.where(r[3] >= 0, r[3], as_of) for r in rows])
    # monthly hospice claims during each hospice period
    nmon = np.maximum(1, (hend - hstart) // 30 + 1)
    m["hospice_member"] = np.repeat(hm, nmon)
    off = np.arange(nmon.sum()) - np.repeat(np.cumsum(nmon) - nmon, nmon)
    m["hospice_start"] = np.repeat(hstart, nmon) + off * 30
    # long-term care
    ltc = rng.random(n) < np.clip(0.012 + 0.08 * (m["age"] > 85) + 0.05 * m["conds"][:, 7], 0, 0.5)
    ltc_start = np.maximum(s["start"], as_of - rng.integers(30, 1500, n))
    ltc_end = np.where(rng.random(n) < 0.15, np.minimum(ltc_start + rng.integers(30, 300, n), as_of - 1), -1)  # noqa: E501
    ltc_end = np.where(ltc_end > ltc_start, ltc_end, -1)
    i = np.nonzero(ltc)[0]
    rows.append((i, "ltc_resident", ltc_start[i], ltc_end[i]))
    # ESRD: dialysis start, a few ended (transplant)
    esrd = m["conds"][:, M.CONDITIONS.index("esrd")]
    e_start = np.maximum(m["birth"] + 365, as_of - rng.integers(60, 2500, n))
    e_end = np.where(rng.random(n) < 0.06, np.minimum(e_start + rng.integers(200, 900, n), as_of - 1), -1)  # noqa: E501
    e_end = np.where(e_end > e_start, e_end, -1)
    i = np.nonzero(esrd)[0]
    rows.append((i, "esrd", e_start[i], e_end[i]))
    # LIS: from the first span start (or a later January 1); a few lost it at the start of CY
    lis = m["lis"]
    cy = _d(date.fromordinal(EPOCH.toordinal() + as_of).replace(month=1, day=1))
    l_start = np.where(rng.random(n) < 0.7, s["start"], np.maximum(s["start"], cy - 365))
    l_end = np.where((rng.random(n) < 0.03) & (cy - 1 > l_start), cy - 1, -1)
    i = np.nonzero(lis)[0]
    rows.append((i, "lis", l_start[i], l_end[i]))
    mem = np.concatenate([r[0] for r in rows]).astype(np.int64)
    st = np.concatenate([r[2] for r in rows]).astype(np.int64)
    en = np.concatenate([r[3] for r in rows]).astype(np.int64)
    status = np.concatenate([np.full(len(r[0]), r[1]) for r in rows])
    order = np.lexsort((st, mem))
    mem, st, en, status = mem[order], st[order], en[order], status[order]
    df = pl.DataFrame({
        "member_id": _gather(mid, mem),
        "status": pl.Series(status),
        "status_start_date": _dates(st),
        "status_end_date": _dates(en, en >= 0),
    })  # fmt: skip
    flags = dict(hospice=hospice_now | h_dead, ltc=ltc & (ltc_end < 0), esrd=esrd & (e_end < 0),
                 lis=lis)  # fmt: skip
    del hs
    return df, flags


def _eligibility(c: Ctx, m: dict, s: dict, flags: dict) -> pl.DataFrame:
    rng = c.rng
    sp = s["span"]
    i = sp["member"]
    S = len(i)
    mid = _ids("M", m["gidx"] + 1, 9)
    # MBI: 1 C A N C A N C C N N  (C = letter without S L O I B Z, A = letter or digit)
    letters = np.frombuffer(b"ACDEFGHJKMNPQRTUVWXY", np.uint8)
    digits = np.frombuffer(b"0123456789", np.uint8)
    alnum = np.concatenate([letters, digits])
    n = c.n
    pat = "NCANCANCCNN"
    chars = np.empty((n, 11), np.uint8)
    for k, t in enumerate(pat):
        pool = {"N": digits, "C": letters, "A": alnum}[t]
        chars[:, k] = pool[rng.integers(0, len(pool), n)]
    chars[:, 0] = digits[rng.integers(1, 10, n)]
    mbi = pl.Series(chars.view("S11").ravel()).cast(pl.String)
    place = m["place"]
    city = _gather([p[0] for p in M.PLACES], place)
    state = _gather([p[1] for p in M.PLACES], place)
    zipc = _gather([p[2] for p in M.PLACES], place)
    area = _gather([p[3] for p in M.PLACES], place)
    phone_tail = (
        pl.Series(rng.integers(200, 999, n)).cast(pl.String)
        + "-"
        + pl.Series(rng.integers(0, 10000, n)).cast(pl.String).str.zfill(4)
    )
    phone = area + "-" + phone_tail
    phone = pl.select(pl.when(pl.Series(rng.random(n) > 0.04)).then(phone)).to_series()
    addr = (pl.Series(rng.integers(1, 9900, n)).cast(pl.String) + " "
            + _gather(M.STREETS, rng.integers(0, len(M.STREETS), n)) + " "
            + _gather(M.STREET_SUFFIX, rng.integers(0, len(M.STREET_SUFFIX), n)))  # fmt: skip
    first = pl.select(
        pl.when(pl.Series(m["female"]))
        .then(_gather(M.FIRST_F, np.minimum(m["first"], len(M.FIRST_F) - 1)))
        .otherwise(_gather(M.FIRST_M, np.minimum(m["first"], len(M.FIRST_M) - 1)))
    ).to_series()
    sex = np.where(m["female"], "F", "M")
    sex = np.where(rng.random(n) < 0.001, "U", sex)
    death = m["death"]
    # death date on every row of the member, except some where only the last span carries it
    last_row = np.zeros(S, bool)
    last_row[S - 1 - np.unique(i[::-1], return_index=True)[1]] = True
    death_only_last = rng.random(n) < 0.15
    dmask = (death[i] >= 0) & (~death_only_last[i] | last_row)
    contracts = [x[0] for x in M.CONTRACTS]
    df = pl.DataFrame({
        "member_id": _gather(mid, i),
        "mbi": _gather(mbi, i),
        "contract_id": _gather(contracts, sp["contract"]),
        "pbp_id": _gather(["001", "002"], sp["pbp"]),
        "enrollment_start_date": _dates(sp["start"]),
        "enrollment_end_date": _dates(sp["end"], sp["end"] >= 0),
        "birth_date": _dates(m["birth"][i]),
        "sex": _gather(pl.Series(sex), i),
        "death_date": _dates(death[i], dmask),
        "first_name": _gather(first, i),
        "last_name": _gather(M.LAST, m["last"][i]),
        "phone": _gather(phone, i),
        "address_line": _gather(addr, i),
        "city": _gather(city, i),
        "state": _gather(state, i),
        "zip_code": _gather(zipc, i),
        "preferred_language": _gather(list(M.LANGUAGES), m["lang"][i]),
        "ltc_resident": pl.Series(flags["ltc"][i]),
        "hospice": pl.Series(flags["hospice"][i]),
        "esrd": pl.Series(flags["esrd"][i]),
        "lis": pl.Series(flags["lis"][i]),
    })  # fmt: skip
    order = np.lexsort((sp["start"], i))
    return df[order]


def _mtm_events(c: Ctx, m: dict, s: dict, n_active: np.ndarray) -> pl.DataFrame:
    """Service-team records of an MTM program that ran before the extract (targeting-rules.md sections
    6-7): members likely to be targeted were enrolled earlier in the year and contacted (outreach attempts
    by phone or mail with their outcome), offered a CMR, then completed it (with a summary, DTPs and
    sometimes safe-disposal information), declined it, or left it open (follow-ups); quarterly TMRs
    follow a completed or declined CMR. Some had last year's CMR (annual re-offers after a rollover).
    Events name the contract they were delivered under (blank for a few: the default rule applies)."""
    rng, n, as_of = c.rng, c.n, c.as_of
    cy = _d(date.fromordinal(EPOCH.toordinal() + as_of).replace(month=1, day=1))
    alive = (m["death"] < 0) | (m["death"] > as_of)
    likely = (m["ncond"] >= 3) & (n_active >= 7) & alive & (s["start"] < as_of - 20)
    # member, type, date, sub-kind index (reason, channel*10+outcome, DTP type or response), DTP number
    ev_m, ev_t, ev_d, ev_k, ev_p = [], [], [], [], []

    def add(idx, etype, days, kind=None, dtp=None):
        ev_m.append(idx)
        ev_t.append(np.full(len(idx), etype))
        ev_d.append(days)
        ev_k.append(kind if kind is not None else np.full(len(idx), -1))
        ev_p.append(dtp if dtp is not None else np.full(len(idx), -1))

    def attempts(idx, after, before, lam, outcomes):
        """Poisson(lam) contact attempts per member between after+1 and before-1 (phone mostly)."""
        k = rng.poisson(lam, len(idx))
        room = before - after - 1
        ok = room >= 1
        k = np.where(ok, k, 0)
        mi, lo_, rm = np.repeat(idx, k), np.repeat(after, k), np.repeat(np.maximum(room, 1), k)
        day = lo_ + 1 + (rng.random(len(mi)) * rm).astype(np.int64)
        add(mi, "outreach_attempt", np.minimum(day, as_of), _pick(rng, len(mi), [70, 25, 5, 0, 0]) * 10
            + _pick(rng, len(mi), outcomes))

    lo = max(cy, c.hist_start)
    span = max(as_of - lo, 1)
    offered = likely & (rng.random(n) < 0.75)
    i = np.nonzero(offered)[0]
    off_d = lo + 20 + (rng.random(len(i)) * span * 0.8).astype(np.int64)
    off_d = np.minimum(np.maximum(off_d, s["start"][i]), as_of)
    # contact attempts before the offer (no answer, message, wrong number), the offer's own call reaches
    attempts(i, off_d - 25, off_d, 0.8, [5, 45, 35, 15, 0, 0])
    add(i, "cmr_offered", off_d)
    # ~60% complete the CMR 0-40 days later, ~12% decline it; the rest stay open (follow-up attempts)
    fate = rng.random(len(i))
    cmr_d = off_d + rng.integers(0, 41, len(i))
    done = (fate < 0.6) & (cmr_d <= as_of)
    dec_d = off_d + rng.integers(1, 21, len(i))
    declined = (fate >= 0.6) & (fate < 0.72) & (dec_d <= as_of)
    open_ = ~done & ~declined
    attempts(i[open_], off_d[open_], np.full(open_.sum(), as_of + 1), 1.2, [0, 40, 45, 5, 5, 5])
    add(i[declined], "cmr_declined", dec_d[declined])
    j = i[done]
    add(j, "cmr_completed", cmr_d[done], _pick(rng, len(j), [1]))
    sent = rng.random(len(j)) < 0.93
    add(j[sent], "summary_sent", np.minimum(cmr_d[done][sent] + rng.integers(1, 15, sent.sum()), as_of))
    disposal = rng.random(len(j)) < 0.35
    add(j[disposal], "safe_disposal_info", cmr_d[done][disposal])
    ndtp = rng.poisson(1.1, len(j))
    dj = np.repeat(j, ndtp)
    dd = np.repeat(cmr_d[done], ndtp)
    res = rng.random(len(dj)) < 0.55
    # each problem's type, the prescriber's answer (most within three weeks) and, when resolved, that
    # answer on the resolution; drawn from a stream of their own (the TMRs and opt-outs drawn next are those of
    # the extract before; what is drawn per event afterwards moves with the event count)
    drng = np.random.default_rng([c.g0, as_of, 29])
    seq = np.arange(len(dj))
    add(dj, "dtp_recommendation", dd, _pick(drng, len(dj), [12, 14, 8, 10, 8, 12, 12, 16, 4, 4]), seq)
    answer = _pick(drng, len(dj), [60, 15, 15, 10])
    answer[res] = np.where(drng.random(res.sum()) < 0.8, 0, 1)  # a resolved problem was accepted or modified
    ans_d = dd + drng.integers(2, 21, len(dj))
    told = (res | (drng.random(len(dj)) < 0.7)) & (ans_d <= as_of)
    add(dj[told], "prescriber_response", ans_d[told], answer[told], seq[told])
    res_d = np.minimum(np.maximum(dd[res] + rng.integers(7, 60, res.sum()), ans_d[res]), as_of)
    add(dj[res], "dtp_resolved", res_d, answer[res], seq[res])
    # quarterly TMRs after a completed CMR, and after a declined one (declining the CMR keeps the TMRs)
    reviewed = np.concatenate([j, i[declined]])
    base = np.concatenate([cmr_d[done], dec_d[declined]])
    for q in (1, 2, 3):
        t_d = base + 90 * (q - 1) + rng.integers(60, 100, len(reviewed))
        ok = (rng.random(len(reviewed)) < 0.7) & (t_d <= as_of)
        add(reviewed[ok], "tmr_completed", t_d[ok])
    # opt-outs: requested / other; death / disenrolled recorded by the team for some
    oo = offered & (rng.random(n) < 0.07)
    k = np.nonzero(oo)[0]
    add(k, "opted_out", np.minimum(lo + (rng.random(len(k)) * span).astype(np.int64) + 5, as_of),
        _pick(rng, len(k), [0, 0, 85, 15]))  # fmt: skip
    dd_ = (m["ncond"] >= 3) & (m["death"] >= cy) & (m["death"] <= as_of) & (rng.random(n) < 0.3)
    k = np.nonzero(dd_)[0]
    add(k, "opted_out", m["death"][k], np.zeros(len(k), np.int64))
    de = likely & s["disen"] & (s["end"] >= cy) & (s["end"] < as_of) & (rng.random(n) < 0.5)
    k = np.nonzero(de)[0]
    add(k, "opted_out", s["end"][k], np.ones(len(k), np.int64))
    # last year's CMR for some (annual re-offer after a rollover), and a TMR after it
    prev_lo = max(cy - 365, c.hist_start)
    prev = likely & (rng.random(n) < 0.3) & (cy - 90 > prev_lo) & (s["start"] < prev_lo)
    k = np.nonzero(prev)[0]
    pd_ = prev_lo + (rng.random(len(k)) * (cy - 30 - prev_lo)).astype(np.int64)
    add(k, "cmr_offered", pd_)
    add(k, "cmr_completed", pd_ + rng.integers(0, 20, len(k)), np.zeros(len(k), np.int64))
    ptmr = (rng.random(len(k)) < 0.6) & (pd_ + 110 < cy)
    add(k[ptmr], "tmr_completed", pd_[ptmr] + rng.integers(60, 100, ptmr.sum()))
    mem = np.concatenate(ev_m).astype(np.int64)
    et = np.concatenate(ev_t)
    ed = np.concatenate(ev_d).astype(np.int64)
    kind = np.concatenate(ev_k)
    dtp = np.concatenate(ev_p)
    E = len(mem)
    is_cmr = et == "cmr_completed"
    is_attempt = et == "outreach_attempt"
    deliv = _pick(rng, E, [80, 10, 8, 2])
    recip = _pick(rng, E, [90, 8, 1, 1])
    prov = _pick(rng, E, [90, 2, 3, 1, 3, 1])
    cog = m["conds"][mem, M.CONDITIONS.index("alzheimers")]
    cog_col = np.isin(et, ["cmr_offered", "cmr_completed"])
    reasons = ["death", "disenrolled", "requested", "other"]
    has_prov = np.isin(et, ["cmr_completed", "tmr_completed", "dtp_recommendation", "safe_disposal_info"])
    # the contract on the event date (the second span's after a contract change); ~10% left blank
    n_base = len(s["start"])
    first_contract = s["span"]["contract"][:n_base]
    moved = s["change"][mem] & (ed >= s["cut"][mem])
    contract_idx = np.where(moved, s["last_contract"][mem], first_contract[mem])
    named = rng.random(E) >= 0.1
    order = np.lexsort((et, ed, mem))
    df = pl.DataFrame({
        "member_id": _ids("M", m["gidx"][mem] + 1, 9),
        "event_date": _dates(ed),
        "event_type": pl.Series(et),
        "contract_id": _gather([x[0] for x in M.CONTRACTS], contract_idx, named),
        "channel": _gather(["phone", "mail", "portal", "in_person", "other"], np.maximum(kind, 0) // 10,
                           is_attempt),
        "outcome": _gather(["reached", "no_answer", "left_message", "wrong_number", "refused", "other"],
                           np.maximum(kind, 0) % 10, is_attempt),
        "delivery_method": _gather(["telephone", "face_to_face", "telehealth", "other"], deliv, is_cmr),
        "recipient": _gather(["beneficiary", "caregiver", "prescriber", "other"],
                             np.where(cog, np.where(rng.random(E) < 0.6, 1, 0), recip), is_cmr),
        "provider_type": _gather(["pharmacist", "physician", "nurse_practitioner", "physician_assistant",
                                  "registered_nurse", "other"], prov, has_prov),
        "opt_out_reason": _gather(reasons, np.maximum(kind, 0), et == "opted_out"),
        "cognitively_impaired": pl.select(pl.when(pl.Series(cog_col)).then(pl.Series(cog))).to_series(),
        "dtp_id": _dtp_ids(c.g0, dtp),
        "dtp_type": _gather(DTP_TYPES, np.maximum(kind, 0), et == "dtp_recommendation"),
        "prescriber_response": _gather(["accepted", "modified", "declined", "no_response"], np.maximum(kind, 0),
                                       np.isin(et, ["prescriber_response", "dtp_resolved"])),
    })  # fmt: skip
    return df[order]


def _dtp_ids(g0: int, dtp: np.ndarray) -> pl.Series:
    """D<chunk>-<n>: one id per drug therapy problem, unique across chunks; null on other events."""
    k = pl.Series(dtp.astype(np.int64))
    return pl.select(pl.when(k >= 0).then(pl.lit(f"D{g0 + 1:09d}-") + k.cast(pl.Utf8).str.zfill(6))).to_series()


def _dmp(c: Ctx, m: dict) -> pl.DataFrame:
    rng, n, as_of = c.rng, c.n, c.as_of
    p = np.where(m["opioid"], 0.045, 0.0004)
    sel = np.nonzero((rng.random(n) < p) & (m["death"] < 0))[0]
    st = c.hist_start + (rng.random(len(sel)) * (as_of - 30 - c.hist_start)).astype(np.int64)
    ended = rng.random(len(sel)) < 0.4
    en = np.minimum(st + rng.integers(90, 365, len(sel)), as_of - 1)
    ended &= en > st
    return pl.DataFrame({
        "member_id": _ids("M", m["gidx"][sel] + 1, 9),
        "arb_start_date": _dates(st),
        "arb_end_date": _dates(en, ended),
    })  # fmt: skip


# --------------------------------------------------------------------------------------------
def _chunk(c: Ctx) -> dict[str, pl.DataFrame]:
    m = _members(c)
    s = _spans(c, m)
    status, flags = _statuses(c, m, s)
    rm, rp = _regimens(c, m)
    fills = _fills(c, m, s, rm, rp)
    # active products at as_of (90-day lookback) per member, for the MTM-event subset
    recent = fills.filter(
        pl.col("fill_date") + pl.duration(days=pl.col("days_supply"))
         >= pl.lit(date.fromordinal(EPOCH.toordinal() + c.as_of - 89))
    ).group_by("_member").agg(pl.col("_prod").n_unique().alias("k"))  # fmt: skip
    n_active = np.zeros(c.n, np.int64)
    n_active[recent["_member"].to_numpy()] = recent["k"].to_numpy()
    return {
        "eligibility": _eligibility(c, m, s, flags),
        "pharmacy_claim": fills.drop("_member", "_prod"),
        "medical_claim": _medical(c, m, s),
        "mtm_event": _mtm_events(c, m, s, n_active),
        "dmp_arb": _dmp(c, m),
        "member_status": status,
    }


def _finish(name: str, df: pl.DataFrame, rng: np.random.Generator, counter: dict) -> pl.DataFrame:
    if name == "pharmacy_claim":
        ids = counter["rx"] + np.arange(df.height) + 1
        counter["rx"] += df.height
        df = df.with_columns(claim_id=_ids("RX", ids, 12))
        df = _versions(rng, df, ("gross_drug_cost", "patient_pay_amount", "plan_paid_amount"))
    elif name == "medical_claim":
        ids = counter["mc"] + np.arange(df.height) + 1
        counter["mc"] += df.height
        df = df.with_columns(claim_id=_ids("MC", ids, 12))
        df = _versions(rng, df, ())
    cols = [col.name for col in TABLES[name].columns]
    # contract columns the generator does not model yet (e.g. mtm_event contract_id) are written empty
    df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in cols if c not in df.columns)
    df = df.select(cols)
    casts: dict[Any, Any] = {}  # column -> polars dtype
    for col in TABLES[name].columns:
        kind = col.kind
        if kind == "decimal":
            casts[col.name] = MONEY if col.name != "quantity" else pl.Float64
        elif kind == "int":
            casts[col.name] = pl.Int32
        elif kind == "bool":
            casts[col.name] = pl.Boolean
        elif kind == "date":
            casts[col.name] = pl.Date
        elif kind == "timestamp":
            casts[col.name] = pl.Datetime("us")
        else:
            casts[col.name] = pl.String
    return df.cast(casts)


class _Writer:
    def __init__(self, out_dir: Path, name: str, fmt: str):
        self.path = out_dir / f"{name}.{fmt}"
        self.fmt = fmt
        self.rows = 0
        self._fh: BinaryIO | None = None
        self._pq: Any = None  # pyarrow.parquet.ParquetWriter, imported when Parquet is written

    def write(self, df: pl.DataFrame) -> None:
        if self.fmt == "csv":
            if self._fh is None:
                self._fh = self.path.open("wb")
            df.write_csv(self._fh, include_header=self.rows == 0 and self._fh.tell() == 0,
                         date_format="%Y-%m-%d", datetime_format="%Y-%m-%d %H:%M:%S",
                         float_precision=2)  # fmt: skip
        else:
            import pyarrow.parquet as pq

            table = df.to_arrow()
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            self._pq.write_table(table)
        self.rows += df.height

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()


def generate(
    members: int,
    seed: int,
    out_dir: Path,
    as_of: date,
    fmt: str = "csv",
    history_days: int = 548,
    ndc_only: bool = False,
) -> dict:
    """Write a synthetic canonical extract of `members` members into `out_dir`.

    Returns the number of rows written per table.  Same arguments → byte-identical files.
    ``ndc_only``: pharmacy claims without generic_name and drug_name, NDCs also from FDA-directory
    products beyond the curated ones (:mod:`pipelines.synth.ndc_only`).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', not {fmt!r}")
    if members < 1:
        raise ValueError("members must be at least 1")
    if history_days < 120:
        raise ValueError("history_days must be at least 120")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cat = load_catalog()
    if ndc_only:
        from pipelines.synth.ndc_only import widen_ndc_pools

        cat = widen_ndc_pools(cat)
    pool_rng = np.random.default_rng([seed, 0xD06])
    prescribers = _npi(pool_rng, max(200, min(20_000, members // 20)), 1)
    pharmacies = _npi(pool_rng, max(50, min(4_000, members // 150)), 1)
    mail = _npi(pool_rng, 4, 1)
    as_of_d = _d(as_of)
    writers = {t: _Writer(out_dir, t, fmt) for t in TABLE_ORDER}
    counter = {"rx": 0, "mc": 0}
    try:
        for k, g0 in enumerate(range(0, members, CHUNK)):
            rng = np.random.default_rng([seed, k + 1])
            ctx = Ctx(rng=rng, n=min(CHUNK, members - g0), g0=g0, as_of=as_of_d,
                      hist_start=as_of_d - history_days + 1, cat=cat, prescribers=prescribers,
                      pharmacies=pharmacies, mail_pharmacies=mail)  # fmt: skip
            frames = _chunk(ctx)
            for name in TABLE_ORDER:
                frame = _finish(name, frames[name], rng, counter)
                if ndc_only and name == "pharmacy_claim":
                    frame = frame.drop("generic_name", "drug_name")
                writers[name].write(frame)
            del frames
    finally:
        for w in writers.values():
            w.close()
    (out_dir / "extract.toml").write_text(
        f'as_of_date = "{as_of.isoformat()}"\n'
        f"generator = {{ members = {members}, seed = {seed}, history_days = {history_days}, "
        f'format = "{fmt}", name = "pipelines.synth" }}\n'
    )
    return {t: w.rows for t, w in writers.items()}


def default_as_of(today: date | None = None) -> date:
    """A sensible as-of for samples: the last day of the previous month."""
    t = today or date.today()
    return t.replace(day=1) - timedelta(days=1)
