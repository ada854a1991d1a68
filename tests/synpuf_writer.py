"""Write a small extract in the CMS DE-SynPUF file names and full column layouts, for adapter tests.

Only the columns a test names are filled; every other column of the CMS layout is written empty, so the
files look like the public release to the adapter (quoted header, unquoted values, dates YYYYMMDD).
"""

from __future__ import annotations

from pathlib import Path

YEARS = (2008, 2009, 2010)

BENEFICIARY = (
    "DESYNPUF_ID", "BENE_BIRTH_DT", "BENE_DEATH_DT", "BENE_SEX_IDENT_CD", "BENE_RACE_CD", "BENE_ESRD_IND",
    "SP_STATE_CODE", "BENE_COUNTY_CD", "BENE_HI_CVRAGE_TOT_MONS", "BENE_SMI_CVRAGE_TOT_MONS",
    "BENE_HMO_CVRAGE_TOT_MONS", "PLAN_CVRG_MOS_NUM", "SP_ALZHDMTA", "SP_CHF", "SP_CHRNKIDN", "SP_CNCR",
    "SP_COPD", "SP_DEPRESSN", "SP_DIABETES", "SP_ISCHMCHT", "SP_OSTEOPRS", "SP_RA_OA", "SP_STRKETIA",
    "MEDREIMB_IP", "BENRES_IP", "PPPYMT_IP", "MEDREIMB_OP", "BENRES_OP", "PPPYMT_OP", "MEDREIMB_CAR",
    "BENRES_CAR", "PPPYMT_CAR",
)
PDE = ("DESYNPUF_ID", "PDE_ID", "SRVC_DT", "PROD_SRVC_ID", "QTY_DSPNSD_NUM", "DAYS_SUPLY_NUM", "PTNT_PAY_AMT",
       "TOT_RX_CST_AMT")


def _n(prefix: str, count: int) -> list[str]:
    return [f"{prefix}_{i}" for i in range(1, count + 1)]


INPATIENT = (
    "DESYNPUF_ID", "CLM_ID", "SEGMENT", "CLM_FROM_DT", "CLM_THRU_DT", "PRVDR_NUM", "CLM_PMT_AMT",
    "NCH_PRMRY_PYR_CLM_PD_AMT", "AT_PHYSN_NPI", "OP_PHYSN_NPI", "OT_PHYSN_NPI", "CLM_ADMSN_DT",
    "ADMTNG_ICD9_DGNS_CD", "CLM_PASS_THRU_PER_DIEM_AMT", "NCH_BENE_IP_DDCTBL_AMT",
    "NCH_BENE_PTA_COINSRNC_LBLTY_AM", "NCH_BENE_BLOOD_DDCTBL_LBLTY_AM", "CLM_UTLZTN_DAY_CNT",
    "NCH_BENE_DSCHRG_DT", "CLM_DRG_CD", *_n("ICD9_DGNS_CD", 10), *_n("ICD9_PRCDR_CD", 6), *_n("HCPCS_CD", 45),
)
OUTPATIENT = (
    "DESYNPUF_ID", "CLM_ID", "SEGMENT", "CLM_FROM_DT", "CLM_THRU_DT", "PRVDR_NUM", "CLM_PMT_AMT",
    "NCH_PRMRY_PYR_CLM_PD_AMT", "AT_PHYSN_NPI", "OP_PHYSN_NPI", "OT_PHYSN_NPI", "NCH_BENE_BLOOD_DDCTBL_LBLTY_AM",
    *_n("ICD9_DGNS_CD", 10), *_n("ICD9_PRCDR_CD", 6), "NCH_BENE_PTB_DDCTBL_AMT", "NCH_BENE_PTB_COINSRNC_AMT",
    "ADMTNG_ICD9_DGNS_CD", *_n("HCPCS_CD", 45),
)
CARRIER = (
    "DESYNPUF_ID", "CLM_ID", "CLM_FROM_DT", "CLM_THRU_DT", *_n("ICD9_DGNS_CD", 8), *_n("PRF_PHYSN_NPI", 13),
    *_n("TAX_NUM", 13), *_n("HCPCS_CD", 13), *_n("LINE_NCH_PMT_AMT", 13), *_n("LINE_BENE_PTB_DDCTBL_AMT", 13),
    *_n("LINE_BENE_PRMRY_PYR_PD_AMT", 13), *_n("LINE_COINSRNC_AMT", 13), *_n("LINE_ALOWD_CHRG_AMT", 13),
    *_n("LINE_PRCSG_IND_CD", 13), *_n("LINE_ICD9_DGNS_CD", 13),
)
assert (len(BENEFICIARY), len(PDE), len(INPATIENT), len(OUTPATIENT), len(CARRIER)) == (32, 8, 81, 76, 142)


def _write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    unknown = {k for row in rows for k in row} - set(columns)
    assert not unknown, f"{path.name}: not columns of the layout: {unknown}"
    lines = [",".join(f'"{c}"' for c in columns)]
    lines += [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    path.write_text("\n".join(lines) + "\n")


def bene(member_id: str, birth: str, months: int | str = 12, death: str = "", sex: str = "2", esrd: str = "0") -> dict:
    return {"DESYNPUF_ID": member_id, "BENE_BIRTH_DT": birth, "BENE_DEATH_DT": death, "BENE_SEX_IDENT_CD": sex,
            "BENE_ESRD_IND": esrd, "PLAN_CVRG_MOS_NUM": months, "BENE_HI_CVRAGE_TOT_MONS": 12,
            "BENE_SMI_CVRAGE_TOT_MONS": 12}


def pde(member_id: str, pde_id: str, date: str, ndc: str, days: int, cost: float, qty: int = 30,
        pay: float = 0) -> dict:
    return {"DESYNPUF_ID": member_id, "PDE_ID": pde_id, "SRVC_DT": date, "PROD_SRVC_ID": ndc,
            "QTY_DSPNSD_NUM": qty, "DAYS_SUPLY_NUM": days, "PTNT_PAY_AMT": pay, "TOT_RX_CST_AMT": cost}


def claim(member_id: str, clm_id: str, date: str, *codes: str, **extra) -> dict:
    """A claim with claim-level diagnoses in ICD9_DGNS_CD_1.. (an empty string leaves a position empty)."""
    row = {"DESYNPUF_ID": member_id, "CLM_ID": clm_id, "CLM_FROM_DT": date, "CLM_THRU_DT": date}
    row.update({f"ICD9_DGNS_CD_{i}": c for i, c in enumerate(codes, start=1)})
    row.update(extra)
    return row


def write_synpuf(
    folder: Path,
    beneficiaries: dict[int, list[dict]],
    pde_rows: list[dict] = (),
    inpatient: list[dict] = (),
    outpatient: list[dict] = (),
    carrier_a: list[dict] = (),
    carrier_b: list[dict] = (),
    sample: str = "1",
) -> Path:
    """All eight files of one sample; ``beneficiaries`` maps year -> that year's summary rows."""
    folder.mkdir(parents=True, exist_ok=True)
    for year in YEARS:
        _write(folder / f"DE1_0_{year}_Beneficiary_Summary_File_Sample_{sample}.csv", BENEFICIARY,
               beneficiaries.get(year, []))
    stem = f"DE1_0_2008_to_2010_{{}}_Sample_{sample}"
    _write(folder / (stem.format("Prescription_Drug_Events") + ".csv"), PDE, list(pde_rows))
    _write(folder / (stem.format("Inpatient_Claims") + ".csv"), INPATIENT, list(inpatient))
    _write(folder / (stem.format("Outpatient_Claims") + ".csv"), OUTPATIENT, list(outpatient))
    _write(folder / (stem.format("Carrier_Claims") + "A.csv"), CARRIER, list(carrier_a))
    _write(folder / (stem.format("Carrier_Claims") + "B.csv"), CARRIER, list(carrier_b))
    return folder
