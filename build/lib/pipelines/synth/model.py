"""Parameters of the synthetic population: prevalences, regimens, codes, names.

Everything the generator draws from is declared here as plain data, so the realism can be reviewed
(and tuned) without reading the vectorised code.  Products are referred to by their catalog
``drug_name`` (``drug_catalog.csv``).
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Core chronic conditions (order = column order of the internal condition matrix)
CONDITIONS = (
    "hypertension",
    "dyslipidemia",
    "diabetes",
    "mental_health",
    "bone_arthritis",
    "heart_failure",
    "respiratory",
    "alzheimers",
    "esrd",
    "hiv_aids",
)
#: target prevalence among members (Medicare Part D, CCW-like)
PREVALENCE = {
    "hypertension": 0.60,
    "dyslipidemia": 0.50,
    "diabetes": 0.30,
    "mental_health": 0.20,
    "bone_arthritis": 0.25,
    "heart_failure": 0.12,
    "respiratory": 0.15,
    "alzheimers": 0.08,
    "esrd": 0.01,
    "hiv_aids": 0.003,
}
#: relative risk by age band (<65, 65-74, 75-84, 85+); rescaled so the marginal hits PREVALENCE
AGE_RISK = {
    "hypertension": (0.7, 0.9, 1.1, 1.2),
    "dyslipidemia": (0.7, 1.05, 1.05, 0.9),
    "diabetes": (1.0, 1.05, 1.0, 0.8),
    "mental_health": (2.6, 0.8, 0.8, 1.0),
    "bone_arthritis": (0.5, 0.8, 1.2, 1.5),
    "heart_failure": (0.5, 0.6, 1.2, 2.2),
    "respiratory": (1.3, 1.0, 0.95, 0.9),
    "alzheimers": (0.08, 0.3, 1.3, 3.3),
    "esrd": (2.5, 1.0, 0.7, 0.4),
    "hiv_aids": (5.0, 0.7, 0.3, 0.1),
}
#: share of the latent frailty factor (Gaussian copula): correlates the conditions
FRAILTY_LOADING = 0.55

#: probability a member with the condition takes a drug for it
TREATED = {
    "hypertension": 0.92,
    "dyslipidemia": 0.82,
    "diabetes": 0.86,
    "mental_health": 0.78,
    "bone_arthritis": 0.70,
    "heart_failure": 0.95,
    "respiratory": 0.85,
    "alzheimers": 0.70,
    "esrd": 0.90,
    "hiv_aids": 0.98,
}
#: medical-claim evidence of a condition: (full evidence, a single professional claim only); the
#: rest is evidenced by drugs only.  PDP members have no medical claims at all.
DX_EVIDENCE = (0.82, 0.06)

#: regimen slots per condition: (probability given treated, {product: weight})
SLOTS: dict[str, list[tuple[float, dict[str, float]]]] = {
    "hypertension": [
        (1.0, {"Lisinopril Tablet": 28, "Amlodipine Besylate Tablet": 25,
               "Losartan Potassium Tablet": 18, "Metoprolol Succinate ER Tablet": 9,
               "Hydrochlorothiazide Tablet": 5, "Valsartan Tablet": 4,
               "Olmesartan Medoxomil Tablet": 3, "Amlodipine-Benazepril Capsule": 4,
               "Lisinopril-Hydrochlorothiazide Tablet": 4}),
        (0.62, {"Amlodipine Besylate Tablet": 30, "Hydrochlorothiazide Tablet": 25,
                "Metoprolol Succinate ER Tablet": 20, "Chlorthalidone Tablet": 10,
                "Carvedilol Tablet": 5, "Losartan Potassium Tablet": 5,
                "Lisinopril Tablet": 5}),
        (0.28, {"Hydralazine HCl Tablet": 30, "Clonidine HCl Tablet": 25,
                "Chlorthalidone Tablet": 20, "Spironolactone Tablet": 25}),
    ],
    "dyslipidemia": [
        (1.0, {"Atorvastatin Calcium Tablet": 50, "Rosuvastatin Calcium Tablet": 20,
               "Simvastatin Tablet": 14, "Pravastatin Sodium Tablet": 12, "Lipitor": 3,
               "Atorvastatin 40mg (repackaged)": 1}),
        (0.2, {"Ezetimibe Tablet": 60, "Fenofibrate Tablet": 40}),
        (0.012, {"Simvastatin Tablet": 50, "Pravastatin Sodium Tablet": 50}),  # duplicate statin
    ],
    "diabetes": [
        (1.0, {"Metformin HCl Tablet": 70, "Glipizide Tablet": 9, "Januvia": 5, "Jardiance": 5,
               "Lantus": 5, "Glimepiride Tablet": 6}),
        (0.5, {"Glipizide Tablet": 24, "Glimepiride Tablet": 14, "Januvia": 15, "Jardiance": 18,
               "Trulicity Pen": 10, "Ozempic Pen": 9, "Pioglitazone HCl Tablet": 10}),
        (0.18, {"Lantus": 60, "Jardiance": 20, "Trulicity Pen": 20}),
    ],
    "mental_health": [
        (1.0, {"Sertraline HCl Tablet": 25, "Escitalopram Oxalate Tablet": 20,
               "Citalopram HBr Tablet": 12, "Fluoxetine HCl Capsule": 10,
               "Bupropion HCl XL Tablet": 10, "Trazodone HCl Tablet": 8,
               "Duloxetine HCl DR Capsule": 7, "Mirtazapine Tablet": 5,
               "Paroxetine HCl Tablet": 3}),
        (0.32, {"Trazodone HCl Tablet": 40, "Bupropion HCl XL Tablet": 20,
                "Quetiapine Fumarate Tablet": 20, "Mirtazapine Tablet": 10,
                "Aripiprazole Tablet": 10}),
        (0.09, {"Quetiapine Fumarate Tablet": 40, "Aripiprazole Tablet": 35,
                "Lithium Carbonate Capsule": 25}),
    ],
    "bone_arthritis": [
        (1.0, {"Alendronate Sodium Tablet": 50, "Meloxicam Tablet": 22, "Celecoxib Capsule": 10,
               "Hydroxychloroquine Sulfate Tablet": 9, "Methotrexate Tablet": 6,
               "Raloxifene HCl Tablet": 3}),
    ],
    "heart_failure": [
        (1.0, {"Furosemide Tablet": 75, "Torsemide Tablet": 25}),
        (0.75, {"Carvedilol Tablet": 60, "Metoprolol Succinate ER Tablet": 40}),
        (0.35, {"Spironolactone Tablet": 1}),
        (0.24, {"Entresto": 1}),
        (0.12, {"Digoxin Tablet": 1}),
        (0.35, {"Potassium Chloride ER Tablet": 1}),
        (0.40, {"Lisinopril Tablet": 50, "Losartan Potassium Tablet": 50}),
    ],
    "respiratory": [
        (1.0, {"ProAir HFA": 1}),
        (0.6, {"Spiriva HandiHaler": 35, "Advair Diskus": 35, "Symbicort": 30}),
        (0.16, {"Montelukast Sodium Tablet": 1}),
    ],
    "alzheimers": [
        (0.92, {"Donepezil HCl Tablet": 1}),
        (0.42, {"Memantine HCl Tablet": 1}),
    ],
    "esrd": [
        (0.85, {"Sevelamer Carbonate Tablet": 60, "Calcium Acetate Capsule": 40}),
        (0.30, {"Cinacalcet HCl Tablet": 1}),
    ],
    "hiv_aids": [
        (0.70, {"Biktarvy": 1}),
    ],
}  # fmt: skip
#: HIV members not on Biktarvy take dolutegravir + emtricitabine/tenofovir alafenamide
HIV_ALTERNATIVE = ("Tivicay", "Descovy")

#: other chronic drugs for everyone: (probability, {product: weight}, restriction)
#: restriction: "" all, "M"/"F" by sex, "65" age >= 65
OTHER_SLOTS: list[tuple[float, dict[str, float], str]] = [
    (0.22, {"Omeprazole DR Capsule": 60, "Pantoprazole Sodium DR Tablet": 40}, ""),
    (0.20, {"Levothyroxine Sodium Tablet": 1}, "F"),
    (0.07, {"Levothyroxine Sodium Tablet": 1}, "M"),
    (0.09, {"Gabapentin Capsule": 1}, ""),
    (0.24, {"Tamsulosin HCl Capsule": 1}, "M"),
    (0.08, {"Finasteride Tablet": 1}, "M"),
    (0.085, {"Eliquis": 80, "Warfarin Sodium Tablet": 20}, "65"),
    (0.07, {"Clopidogrel Tablet": 1}, ""),
    (0.05, {"Allopurinol Tablet": 1}, ""),
    (0.07, {"Latanoprost Ophthalmic Solution": 85, "Xalatan": 15}, "65"),
    (0.025, {"Timolol Maleate Ophthalmic Solution": 1}, "65"),
    (0.08, {"Fluticasone Propionate Nasal Spray": 1}, ""),
    (0.04, {"Oxybutynin Chloride ER Tablet": 1}, ""),
    (0.028, {"Amitriptyline HCl Tablet": 1}, ""),
    (0.02, {"Hydroxyzine HCl Tablet": 1}, ""),
    (0.02, {"Meclizine HCl Tablet": 1}, "65"),
    (0.03, {"Zolpidem Tartrate Tablet": 1}, ""),
    (0.04, {"Vitamin Compound Tablet": 1}, ""),
    (0.004, {"Lisinopril 10mg (repackaged)": 1}, ""),
    (0.012, {"Sildenafil Tablet": 1}, "M"),
    (0.012, {"Loratadine Tablet (OTC)": 1}, ""),
    (0.002, {"Gabapentin / Ketoprofen / Lidocaine Cream": 1}, ""),
    (0.001, {"Omeprazole Oral Suspension": 1}, ""),
]
#: catalog generic costs are typical cash-price-like 30-day costs; Part D gross cost (ingredient +
#: dispensing fee) of a generic averages ~$17/month (CY2025 threshold = 8 generics ≈ $1,623/yr)
GENERIC_COST_SCALE = 1.5
#: multiplier of OTHER_SLOTS probabilities: a + b * core condition count, capped at c
OTHER_LOAD = (0.4, 0.42, 2.8)
#: chronic opioid use, and benzodiazepines (more likely with an opioid: the COB signal)
CHRONIC_OPIOID = (0.06, {"Tramadol HCl Tablet": 45, "Hydrocodone-Acetaminophen Tablet": 35,
                         "Oxycodone HCl Tablet": 20})  # fmt: skip
BENZO = (0.035, 0.30, {"Alprazolam Tablet": 40, "Lorazepam Tablet": 35, "Clonazepam Tablet": 25})
#: as-needed products: long, irregular gaps between fills
PRN = ("ProAir HFA", "Fluticasone Propionate Nasal Spray", "Meclizine HCl Tablet",
       "Hydroxyzine HCl Tablet", "Loratadine Tablet (OTC)", "Sildenafil Tablet",
       "Gabapentin / Ketoprofen / Lidocaine Cream", "Omeprazole Oral Suspension",
       "Zolpidem Tartrate Tablet")  # fmt: skip
#: acute episodes per member-year, and what they are
ACUTE_RATE = 0.7
ACUTE = {"Amoxicillin Capsule": 16, "Azithromycin Tablet": 16, "Cephalexin Capsule": 12,
         "Ciprofloxacin HCl Tablet": 10, "Amoxicillin-Clavulanate Tablet": 10,
         "Nitrofurantoin Capsule": 8, "Prednisone Tablet": 10, "Benzonatate Capsule": 6,
         "Cyclobenzaprine HCl Tablet": 6, "Hydrocodone-Acetaminophen Tablet": 6}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# ICD-10-CM (all valid FY2024 billable codes, checked in tests against ref_icd10cm)
DX_CODES: dict[str, dict[str, float]] = {
    "hypertension": {"I10": 85, "I129": 10, "I119": 5},
    "dyslipidemia": {"E785": 60, "E782": 25, "E7800": 15},
    "diabetes": {"E119": 55, "E1165": 20, "E1122": 15, "E1142": 10},
    "mental_health": {"F329": 30, "F32A": 20, "F331": 25, "F209": 8, "F319": 12, "F341": 5},
    "bone_arthritis": {"M810": 40, "M170": 20, "M1711": 10, "M1990": 15, "M0579": 8, "M069": 7},
    "heart_failure": {"I5022": 30, "I5032": 30, "I509": 30, "I110": 10},
    "respiratory": {"J449": 50, "J441": 10, "J45909": 35, "J84112": 5},
    "alzheimers": {"G309": 45, "G301": 15, "F0390": 35, "G3183": 5},
    "esrd": {"N186": 70, "Z992": 30},
    "hiv_aids": {"B20": 70, "Z21": 30},
}
NOISE_CODES = {"Z0000": 10, "Z0001": 6, "Z23": 8, "J069": 6, "R519": 3, "M5450": 6, "R42": 3,
               "N390": 4, "R079": 3, "Z1211": 3, "K219": 6, "E039": 6, "G4700": 2, "I4891": 5,
               "N1830": 5, "R5383": 3, "M25561": 3, "H2513": 3, "L570": 2, "J309": 3, "R0602": 3,
               "Z7901": 3, "E559": 4, "R7303": 3, "G8929": 2, "M7910": 2, "F419": 4, "Z79899": 6,
               "R110": 1, "H409": 2, "E669": 3, "N189": 2}  # fmt: skip
#: codes that are not ICD-10-CM at any level (a handful, to exercise the dropped-code rule)
INVALID_CODES = ("I100", "E1190")
HOSPICE_CODES = {"C3490": 30, "G309": 25, "I509": 25, "J449": 20}

#: claim type mix of ordinary visits, and diagnosis positions each type fills
CLAIM_TYPES = {"professional": 0.80, "outpatient": 0.14, "inpatient": 0.03, "snf": 0.01,
               "home_health": 0.02}  # fmt: skip
DX_POSITIONS = {"professional": (1, 4), "outpatient": (1, 6), "inpatient": (5, 12),
                "snf": (4, 9), "home_health": (3, 8), "hospice": (1, 3)}  # fmt: skip
#: probability that a visit of the type lists each chronic condition the member has
DX_LISTED = {"professional": 0.45, "outpatient": 0.5, "inpatient": 0.9, "snf": 0.85,
             "home_health": 0.8}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# People
CONTRACTS = (("H1234", 0.52, ("001", "002")), ("H5678", 0.28, ("001", "002", "003")),
             ("S4321", 0.20, ("001", "002")))  # fmt: skip
LANGUAGES = {"en": 82.0, "es": 10.5, "zh": 2.2, "vi": 1.5, "ko": 0.9, "tl": 0.9, "ru": 0.8,
             "ar": 0.5, "ht": 0.4, "pl": 0.3}  # fmt: skip
FIRST_F = ("Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan",
           "Margaret", "Dorothy", "Lisa", "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna",
           "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Deborah",
           "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda", "Amy", "Anna",
           "Rebecca", "Virginia", "Kathleen", "Pamela", "Martha", "Debra", "Amanda", "Rosa",
           "Guadalupe", "Mei", "Lan", "Thi")  # fmt: skip
FIRST_M = ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles",
           "Joseph", "Thomas", "Christopher", "Daniel", "Paul", "Mark", "Donald", "George",
           "Kenneth", "Steven", "Edward", "Brian", "Ronald", "Anthony", "Kevin", "Jason",
           "Matthew", "Gary", "Timothy", "Jose", "Larry", "Jeffrey", "Frank", "Scott", "Eric",
           "Stephen", "Andrew", "Raymond", "Gregory", "Joshua", "Jerry", "Dennis", "Walter",
           "Juan", "Wei", "Minh", "Luis")  # fmt: skip
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
        "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
        "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
        "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Wang", "Tran",
        "Kim", "O'Brien", "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed",
        "Bailey", "Bell", "Gomez", "Kelly", "Howard", "Ward", "Cox", "Diaz", "Richardson")  # fmt: skip
STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
           "Walnut", "Sunset", "Lincoln", "Jackson", "Church", "Highland", "Mill", "River",
           "Spring", "Ridge", "Center", "Franklin", "Chestnut", "Willow", "Meadow")  # fmt: skip
STREET_SUFFIX = ("St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Pl")
#: (city, state, zip, area code, weight) — real city / ZIP pairs; zips with leading zeros included
PLACES = (
    ("Boston", "MA", "02118", "617", 3), ("Providence", "RI", "02903", "401", 2),
    ("Hartford", "CT", "06106", "860", 2), ("Newark", "NJ", "07102", "973", 2),
    ("Portland", "ME", "04101", "207", 1), ("Burlington", "VT", "05401", "802", 1),
    ("Manchester", "NH", "03101", "603", 1), ("Brooklyn", "NY", "11201", "718", 4),
    ("Philadelphia", "PA", "19103", "215", 3), ("Pittsburgh", "PA", "15213", "412", 2),
    ("Baltimore", "MD", "21201", "410", 2), ("Richmond", "VA", "23219", "804", 2),
    ("Charlotte", "NC", "28202", "704", 2), ("Atlanta", "GA", "30303", "404", 3),
    ("Miami", "FL", "33130", "305", 4), ("Tampa", "FL", "33602", "813", 3),
    ("Orlando", "FL", "32801", "407", 3), ("Columbus", "OH", "43215", "614", 2),
    ("Detroit", "MI", "48226", "313", 2), ("Chicago", "IL", "60601", "312", 4),
    ("Milwaukee", "WI", "53202", "414", 2), ("Minneapolis", "MN", "55401", "612", 2),
    ("St. Louis", "MO", "63101", "314", 2), ("Nashville", "TN", "37203", "615", 2),
    ("New Orleans", "LA", "70112", "504", 1), ("Houston", "TX", "77002", "713", 4),
    ("San Antonio", "TX", "78205", "210", 3), ("El Paso", "TX", "79901", "915", 2),
    ("Phoenix", "AZ", "85004", "602", 3), ("Tucson", "AZ", "85701", "520", 2),
    ("Denver", "CO", "80202", "303", 2), ("Albuquerque", "NM", "87102", "505", 1),
    ("Los Angeles", "CA", "90012", "213", 5), ("San Diego", "CA", "92101", "619", 3),
    ("Fresno", "CA", "93721", "559", 2), ("San Jose", "CA", "95113", "408", 2),
    ("Seattle", "WA", "98101", "206", 2), ("Portland", "OR", "97204", "503", 2),
    ("Las Vegas", "NV", "89101", "702", 2), ("Honolulu", "HI", "96813", "808", 1),
)  # fmt: skip
