"""Table test: real PBM-style generic names (as they arrive in pharmacy claims) and the drug key each must
get (targeting-rules.md section 2 plus the documented additions of issue 11: combination separators,
hyphenated combinations of known ingredients, more salt words, strengths and dosage-form words stripped).
Every expected key except plain sodium chloride is a drug key or ingredient of the drug reference, so a
name that normalises wrongly would lose its class and condition evidence."""

import pytest

from pipelines.reference import normalise_generic_name
from pipelines.reference.names import known_ingredients

PBM_NAMES = [
    ('metformin hcl er 500 mg tab', 'metformin'),
    ('METFORMIN HCL 1000 MG TABLET', 'metformin'),
    ('atorvastatin calcium 40 mg tablet', 'atorvastatin'),
    ('ATORVASTATIN CALCIUM 20MG TAB', 'atorvastatin'),
    ('simvastatin 20 mg tab', 'simvastatin'),
    ('rosuvastatin calcium 10 mg tab', 'rosuvastatin'),
    ('pravastatin sodium 40 mg tab', 'pravastatin'),
    ('lisinopril 10 mg tablet', 'lisinopril'),
    ('lisinopril-hydrochlorothiazide 20-12.5 mg tab', 'hydrochlorothiazide / lisinopril'),
    ('LISINOPRIL/HCTZ', 'hydrochlorothiazide / lisinopril'),
    ('losartan potassium 50 mg tab', 'losartan'),
    ('losartan potassium-hydrochlorothiazide 100-25 mg tab', 'hydrochlorothiazide / losartan'),
    ('valsartan-hydrochlorothiazide 160-12.5 mg tab', 'hydrochlorothiazide / valsartan'),
    ('amlodipine besylate 5 mg tab', 'amlodipine'),
    ('amlodipine besylate-benazepril hcl 10-20 mg cap', 'amlodipine / benazepril'),
    ('amlodipine and olmesartan medoxomil', 'amlodipine / olmesartan'),
    ('triamterene-hydrochlorothiazide 37.5-25 mg tab', 'hydrochlorothiazide / triamterene'),
    ('metoprolol succinate er 50 mg tab', 'metoprolol'),
    ('metoprolol tartrate 25 mg tab', 'metoprolol'),
    ('carvedilol 12.5 mg tab', 'carvedilol'),
    ('furosemide 40 mg tab', 'furosemide'),
    ('hydrochlorothiazide 25 mg tab', 'hydrochlorothiazide'),
    ('spironolactone 25 mg tab', 'spironolactone'),
    ('sacubitril-valsartan 49-51 mg tab', 'sacubitril / valsartan'),
    ('apixaban 5 mg tab', 'apixaban'),
    ('warfarin sodium 5 mg tab', 'warfarin'),
    ('clopidogrel bisulfate 75 mg tab', 'clopidogrel'),
    ('levothyroxine sodium 50 mcg tab', 'levothyroxine'),
    ('glipizide er 10 mg tab', 'glipizide'),
    ('glimepiride 4 mg tab', 'glimepiride'),
    ('sitagliptin phosphate 100 mg tab', 'sitagliptin'),
    ('sitagliptin-metformin hcl 50-1000 mg tab', 'metformin / sitagliptin'),
    ('pioglitazone hcl 30 mg tab', 'pioglitazone'),
    ('insulin glargine 100 unit/ml pen', 'insulin glargine'),
    ('insulin glargine u-100 solostar pen', 'insulin glargine'),
    ('semaglutide 1 mg/0.75 ml pen', 'semaglutide'),
    ('empagliflozin 10 mg tab', 'empagliflozin'),
    ('sertraline hcl 50 mg tab', 'sertraline'),
    ('escitalopram oxalate 10 mg tab', 'escitalopram'),
    ('citalopram hydrobromide 20 mg tab', 'citalopram'),
    ('fluoxetine hcl 20 mg cap', 'fluoxetine'),
    ('bupropion hcl xl 150 mg tab', 'bupropion'),
    ('trazodone hcl 50 mg tab', 'trazodone'),
    ('duloxetine hcl dr 60 mg cap', 'duloxetine'),
    ('venlafaxine hcl er 75 mg cap', 'venlafaxine'),
    ('quetiapine fumarate 25 mg tab', 'quetiapine'),
    ('aripiprazole 5 mg tab', 'aripiprazole'),
    ('donepezil hcl 10 mg tab', 'donepezil'),
    ('memantine hcl 10 mg tab', 'memantine'),
    ('pramipexole dihydrochloride 0.25 mg tab', 'pramipexole'),
    ('carbidopa-levodopa 25-100 mg tab', 'carbidopa / levodopa'),
    ('carbidopa-levodopa er 50-200 mg tab', 'carbidopa / levodopa'),
    ('gabapentin 300 mg cap', 'gabapentin'),
    ('pregabalin 75 mg cap', 'pregabalin'),
    ('hydrocodone bitartrate-acetaminophen 5-325 mg tab', 'acetaminophen / hydrocodone'),
    ('oxycodone hcl 5 mg tab', 'oxycodone'),
    ('oxycodone-acetaminophen 10-325 mg tab', 'acetaminophen / oxycodone'),
    ('tramadol hcl 50 mg tab', 'tramadol'),
    ('alprazolam 0.5 mg tab', 'alprazolam'),
    ('lorazepam 1 mg tab', 'lorazepam'),
    ('zolpidem tartrate 10 mg tab', 'zolpidem'),
    ('albuterol sulfate hfa 90 mcg/actuation inhaler', 'albuterol'),
    ('fluticasone propionate 50 mcg/actuation nasal spray', 'fluticasone'),
    ('fluticasone propionate-salmeterol 250-50 mcg/dose', 'fluticasone / salmeterol'),
    ('budesonide-formoterol fumarate 160-4.5 mcg/act', 'budesonide / formoterol'),
    ('tiotropium bromide 18 mcg inhalation cap', 'tiotropium'),
    ('montelukast sodium 10 mg tab', 'montelukast'),
    ('omeprazole dr 20 mg cap', 'omeprazole'),
    ('pantoprazole sodium dr 40 mg tab', 'pantoprazole'),
    ('alendronate sodium 70 mg tab', 'alendronate'),
    ('allopurinol 100 mg tab', 'allopurinol'),
    ('tamsulosin hcl 0.4 mg cap', 'tamsulosin'),
    ('finasteride 5 mg tab', 'finasteride'),
    ('potassium chloride er 20 meq tab', 'potassium chloride'),
    ('calcium acetate 667 mg cap', 'calcium acetate'),
    ('sodium bicarbonate 650 mg tab', 'sodium bicarbonate'),
    ('sevelamer carbonate 800 mg tab', 'sevelamer'),
    ('emtricitabine-tenofovir disoproxil fumarate 200-300 mg tab', 'emtricitabine / tenofovir disoproxil'),
    ('sulfamethoxazole-trimethoprim 800-160 mg tab', 'sulfamethoxazole / trimethoprim'),
    ('amoxicillin-clavulanate potassium 875-125 mg tab', 'amoxicillin / clavulanate'),
    ('dextroamphetamine-amphetamine 20 mg tab', 'amphetamine / dextroamphetamine'),
    ('timolol maleate 0.5% ophthalmic solution', 'timolol'),
    ('latanoprost 0.005% ophth soln', 'latanoprost'),
    ('omega-3-acid ethyl esters 1 gram cap', 'omega-3-acid ethyl esters'),
    ('polyethylene glycol 3350 17 gram powder packet', 'polyethylene glycol 3350'),
    ('sodium chloride 0.9% solution', 'sodium chloride'),
    ('diltiazem hcl er 240 mg cap (24 hr)', 'diltiazem'),
    ('nitroglycerin 0.4 mg sublingual tab', 'nitroglycerin'),
]
NOT_IN_REFERENCE = {"sodium chloride"}


def test_table_has_at_least_sixty_names():
    assert len(PBM_NAMES) >= 60


@pytest.mark.parametrize(("name", "key"), PBM_NAMES)
def test_pbm_name_gets_its_drug_key(name, key):
    assert normalise_generic_name(name) == key
    assert key in NOT_IN_REFERENCE or all(p in known_ingredients() for p in key.split(" / "))


@pytest.mark.parametrize(("name", "key"), [
    ("pegfilgrastim-jmdb", "pegfilgrastim"),  # not split; the biosimilar suffix is dropped (issue 25)
    ("omega-3-acid ethyl esters", "omega-3-acid ethyl esters"),
    ("calcium carbonate-vitamin d3", "calcium carbonate-vitamin d3"),  # vitamin d3 is not a known ingredient
    ("potassium chloride", "potassium chloride"),  # first word a salt word: salts stay
    ("magnesium oxide 400 mg tab", "magnesium oxide"),
    ("Norvasc (amlodipine besylate) 5 mg", "norvasc"),  # bracketed text dropped, brand kept
])
def test_what_is_not_split_or_dropped(name, key):
    assert normalise_generic_name(name) == key
