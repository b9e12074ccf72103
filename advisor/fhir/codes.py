"""The code tables that tie FHIR R4 resources to the patient-state vocabulary.

Kept apart from the mapping so a clinician or informatician can review them as a list:
LOINC codes of the labs, UCUM spellings of the unit table's units, how imatinib is
recognised, CTCAE display names of the adverse-event terms, and drug names of the
co-medication classes.
"""

from __future__ import annotations

import re

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

# LOINC -> lab key of the state. Several codes name one analyte (mass or substance
# concentration, automated or manual count); the unit then says which, and the unit table
# converts. Keys the running version may not know (electrolytes added by a later rulebook)
# are listed anyway: the mapping warns "not graded by this version" instead of failing.
LAB_LOINC: dict[str, str] = {
    "1742-6": "alt",
    "1920-8": "ast",
    "1975-2": "bilirubin_total",
    "14631-6": "bilirubin_total",
    "42719-5": "bilirubin_total",
    "1968-7": "bilirubin_direct",
    "6768-6": "alp",
    "2324-2": "ggt",
    "751-8": "anc",
    "26499-4": "anc",
    "753-4": "anc",
    "777-3": "platelets",
    "26515-7": "platelets",
    "778-1": "platelets",
    "6690-2": "wbc",
    "718-7": "hemoglobin",
    "2160-0": "creatinine",
    "14682-9": "creatinine",
    "1751-7": "albumin",
    "6301-6": "inr",
    "711-2": "eosinophils",
    "731-0": "lymphocytes",
    "8310-5": "temperature_c",
    "2823-3": "potassium",
    "17861-6": "calcium",
    "1994-3": "calcium_ionized",
    "19123-9": "magnesium",
    "2777-1": "phosphate",
    "2157-6": "ck",
}
WEIGHT_LOINC = ("29463-7", "3141-9")  # body weight; body weight measured
WEIGHT_UNITS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237}

# UCUM codes whose spelling differs from the unit table's (advisor/units.py); any other
# code goes through the table's own normalisation (case, µ) unchanged.
UCUM_TO_TABLE = {
    "10*9/L": "10^9/L",
    "10*3/uL": "10^3/uL",
    "10*3/mm3": "10^3/uL",
    "10*6/L": "/uL",  # 10^6/L = 1/uL
    "[IU]/L": "IU/L",
    "{ratio}": "ratio",
    "1": "ratio",
    "{INR}": "ratio",
    "[degF]": "degF",
    "meq/L": "mEq/L",
    "m[IU]/mL": "IU/L",  # 1 mIU/mL = 1 IU/L
}

# Imatinib: the RxNorm ingredient, or any product whose name says imatinib (RxNorm clinical
# and branded drugs all carry the ingredient or brand name in their display).
IMATINIB_RXNORM = frozenset({"282388"})
IMATINIB_WORDS = re.compile(r"\b(imatinib|gleevec|glivec)\b", re.IGNORECASE)

# Medication request / statement status -> imatinib.status. Statuses absent here
# (cancelled, entered-in-error, draft, unknown) do not describe what the patient takes.
REQUEST_STATUS = {"active": "taking", "on-hold": "interrupted", "stopped": "discontinued", "completed": "discontinued"}
STATEMENT_STATUS = {"active": "taking", "on-hold": "interrupted", "stopped": "discontinued", "completed": "discontinued",
                    "intended": "not_started"}
CURRENT = ("taking", "interrupted")

# CTCAE v5 display names that do not turn into the state's term by snake-casing alone.
TERM_ALIASES = {
    "alanine_aminotransferase_increased": "alt_increased",
    "aspartate_aminotransferase_increased": "ast_increased",
    "rash_maculo_papular": "rash_maculopapular",
    "maculopapular_rash": "rash_maculopapular",
    "neutropenia": "neutrophil_count_decreased",
    "thrombocytopenia": "platelet_count_decreased",
    "leukopenia": "white_blood_cell_decreased",
    "white_blood_cell_count_decreased": "white_blood_cell_decreased",
    "drug_reaction_with_eosinophilia_and_systemic_symptoms": "drug_reaction_eosinophilia",
    "dress": "drug_reaction_eosinophilia",
    "dress_syndrome": "drug_reaction_eosinophilia",
    "stevens_johnson": "stevens_johnson_syndrome",
    "diarrhoea": "diarrhea",
    "anaemia": "anemia",
    "oedema_limbs": "edema_limbs",
    "periorbital_edema": "edema_face",
    "hyperbilirubinemia": "blood_bilirubin_increased",
    "upper_gastrointestinal_hemorrhage": "gastrointestinal_hemorrhage",
    "lower_gastrointestinal_hemorrhage": "gastrointestinal_hemorrhage",
    "muscle_cramps": "muscle_cramp",
}
GRADE_TEXT = re.compile(r"^\s*(?:ctcae\s*)?(?:grade[\s_-]*)?([1-5])\s*$", re.IGNORECASE)

# Drug name fragments -> co-medication classes, most specific first; the first class the
# running vocabulary knows is used (the contract adds strong_/moderate_ CYP3A4 classes).
COMED_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("clobetasol", "betamethasone", "mometasone", "triamcinolone cream", "hydrocortisone cream"),
     ("topical_corticosteroid",)),
    (("prednisolone", "prednisone", "methylprednisolone", "dexamethasone", "hydrocortisone"),
     ("systemic_corticosteroid",)),
    (("cetirizine", "loratadine", "desloratadine", "fexofenadine", "dexchlorpheniramine", "chlorphenamine",
      "chlorpheniramine", "diphenhydramine", "hydroxyzine", "levocetirizine", "bilastine"), ("antihistamine",)),
    (("furosemide", "torasemide", "torsemide", "bumetanide", "spironolactone", "hydrochlorothiazide", "indapamide"),
     ("diuretic",)),
    (("filgrastim", "pegfilgrastim", "lenograstim"), ("g_csf",)),
    (("rifampicin", "rifampin", "rifabutin", "carbamazepine", "phenytoin", "phenobarbital", "st john", "hypericum",
      "enzalutamide", "apalutamide", "mitotane"), ("strong_cyp3a4_inducer", "cyp3a4_inducer")),
    (("ketoconazole", "itraconazole", "voriconazole", "posaconazole", "clarithromycin", "ritonavir", "cobicistat",
      "nefazodone", "grapefruit"), ("strong_cyp3a4_inhibitor", "cyp3a4_inhibitor")),
    (("fluconazole", "erythromycin", "diltiazem", "verapamil", "ciprofloxacin"),
     ("moderate_cyp3a4_inhibitor", "cyp3a4_inhibitor")),
    (("ciclosporin", "cyclosporine", "tacrolimus", "pimozide", "fentanyl", "ergotamine", "quinidine", "sirolimus"),
     ("cyp3a4_substrate_narrow", "other")),
    (("warfarin",), ("warfarin", "other")),
    (("paracetamol", "acetaminophen"), ("paracetamol", "analgesic")),
    (("levothyroxine",), ("levothyroxine", "other")),
    (("ursodeoxycholic", "ursodiol"), ("ursodeoxycholic_acid",)),
    (("loperamide", "diphenoxylate"), ("antidiarrheal",)),
    (("ondansetron", "granisetron", "metoclopramide", "domperidone"), ("antiemetic",)),
    (("ibuprofen", "naproxen", "tramadol", "morphine", "oxycodone", "codeine", "metamizole"), ("analgesic",)),
    (("amoxicillin", "piperacillin", "ceftriaxone", "cefepime", "meropenem", "levofloxacin", "doxycycline",
      "vancomycin", "co-amoxiclav"), ("antibiotic",)),
)


def snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
