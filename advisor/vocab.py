"""The closed vocabularies of the public contract, each in one registry.

Adding to a vocabulary is allowed (with a one-line meaning); removing or renaming is not.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

# CTCAE v5 terms we accept, with the area rules group them by.
AE_TERMS: dict[str, str] = {
    "alt_increased": "hepatic",
    "ast_increased": "hepatic",
    "blood_bilirubin_increased": "hepatic",
    "alkaline_phosphatase_increased": "hepatic",
    "hepatic_failure": "hepatic",
    "neutrophil_count_decreased": "hematologic",
    "platelet_count_decreased": "hematologic",
    "white_blood_cell_decreased": "hematologic",
    "anemia": "hematologic",
    "febrile_neutropenia": "hematologic",
    "hemolysis": "hematologic",
    "eosinophilia": "hypersensitivity",
    "rash_maculopapular": "skin",
    "erythroderma": "skin",
    "pruritus": "skin",
    "erythema_multiforme": "skin",
    "bullous_dermatitis": "skin",
    "stevens_johnson_syndrome": "skin",
    "toxic_epidermal_necrolysis": "skin",
    "drug_reaction_eosinophilia": "skin",
    "edema_limbs": "fluid",
    "edema_face": "fluid",
    "edema_generalized": "fluid",
    "fluid_retention": "fluid",
    "pleural_effusion": "fluid",
    "pericardial_effusion": "fluid",
    "ascites": "fluid",
    "pulmonary_edema": "fluid",
    "bone_pain": "musculoskeletal",
    "arthralgia": "musculoskeletal",
    "myalgia": "musculoskeletal",
    "muscle_cramp": "musculoskeletal",
    "diarrhea": "gastrointestinal",
    "nausea": "gastrointestinal",
    "vomiting": "gastrointestinal",
    "gastrointestinal_hemorrhage": "gastrointestinal",
    "creatinine_increased": "renal",
    "pneumonitis": "pulmonary",
    "fatigue": "general",
    "fever": "general",
    # lab-based terms graded from values (advisor/grading.py, docs/ctcae.md)
    "ggt_increased": "hepatic",
    "lymphocyte_count_decreased": "hematologic",
    "hypokalemia": "general",
    "hypocalcemia": "general",
    "hypomagnesemia": "general",
    "hypophosphatemia": "general",
    "cpk_increased": "general",
    "hypoalbuminemia": "general",
    "inr_increased": "general",
}

# CTCAE v5 caps some terms below 5: a grade above the cap is an input error.
MAX_GRADE: dict[str, int] = {
    "rash_maculopapular": 3,
    "pruritus": 3,
    "edema_limbs": 3,
    "edema_face": 3,
    "bone_pain": 3,
    "arthralgia": 3,
    "myalgia": 3,
    "muscle_cramp": 3,
    "fatigue": 3,
    "eosinophilia": 3,
    "nausea": 3,
    "stevens_johnson_syndrome": 5,
    "toxic_epidermal_necrolysis": 5,
    # lab terms: v5 writes no grade 5 (or, for INR, no grade 4 either)
    "alt_increased": 4,
    "ast_increased": 4,
    "blood_bilirubin_increased": 4,
    "alkaline_phosphatase_increased": 4,
    "ggt_increased": 4,
    "creatinine_increased": 4,
    "cpk_increased": 4,
    "neutrophil_count_decreased": 4,
    "platelet_count_decreased": 4,
    "white_blood_cell_decreased": 4,
    "lymphocyte_count_decreased": 4,
    "inr_increased": 3,
}
MIN_GRADE: dict[str, int] = {"stevens_johnson_syndrome": 3, "toxic_epidermal_necrolysis": 4, "febrile_neutropenia": 3}

FEATURES: dict[str, str] = {
    "exfoliation": "skin peeling or scaling (exfoliative dermatitis)",
    "mucosal_involvement": "lesions of the mouth, eyes or genitals",
    "blistering": "bullae or vesicles",
    "fever": "fever with the event",
    "eosinophilia": "raised blood eosinophils with the event",
    "periorbital": "around the eyes",
    "gait_impairment": "pain or weakness that impairs walking",
    "autoimmune_like": "clinical or serological autoimmune-like features",
    "limits_self_care": "limits self-care activities of daily living",
    "organ_involvement": "internal organ involvement (liver, kidney, lung) with a skin reaction",
}

FINDINGS: dict[str, str] = {
    "viral_hepatitis_negative": "hepatitis A, B and C serology negative",
    "autoimmune_serology_negative": "ANA, ASMA, AMA, IgG and related autoantibodies normal",
    "autoimmune_features_on_biopsy": "liver biopsy shows interface hepatitis or plasma cells (autoimmune-like DILI)",
    "no_alternative_cause": "no other cause found for the event",
    "alcohol_excluded": "alcohol excluded as a cause",
    "concomitant_hepatotoxic_drug": "another hepatotoxic or CYP3A4-interacting drug is taken",
    "blood_culture_negative": "blood cultures negative",
    "infection_source_found": "a source of infection was found",
    "bone_imaging_normal": "bone scan or MRI shows no abnormality",
    "bone_marrow_edema_on_mri": "bone scan or MRI shows marrow edema",
    "bone_metastasis_excluded": "imaging excludes bone metastasis",
    "no_recurrence_on_ct": "CT shows no tumour recurrence or progression",
    "pet_low_uptake": "FDG-PET shows low uptake (SUVmax < 2.5) in the lesions",
    "ct_density_decrease": "lesion CT attenuation fell by 15 % or more (a Choi response)",
    "trough_below_1100": "imatinib trough (Cmin) below 1100 ng/mL",
    "hepatic_encephalopathy": "encephalopathy with liver injury",
}

OUTCOMES = ("resolved", "resolved_on_steroids", "recurred_on_rechallenge", "led_to_discontinuation")
TRENDS = ("new", "worsening", "stable", "improving", "resolved")
STATUSES = ("taking", "interrupted", "discontinued", "not_started")
SCHEDULES = ("daily", "twice_daily", "every_other_day")
INDICATIONS = ("adjuvant", "neoadjuvant", "metastatic", "unresectable")
RISKS = ("low", "intermediate", "high")
MUTATIONS = ("kit_exon_9", "kit_exon_11", "kit_exon_13", "kit_exon_17", "pdgfra_d842v", "pdgfra_other", "wild_type", "unknown")
SEXES = ("male", "female", "other")
RESPONSE_STATUSES = ("complete_response", "partial_response", "stable_disease", "progressive_disease", "no_evidence_of_disease", "not_assessed")
PROGRESSIONS = ("none", "limited", "generalized")
CRITERIA = ("recist_1_1", "choi", "pet", "clinical")
COMED_CLASSES = (
    "systemic_corticosteroid", "topical_corticosteroid", "antihistamine", "diuretic", "antibiotic",
    "g_csf", "analgesic", "antiemetic", "antidiarrheal", "ursodeoxycholic_acid",
    "cyp3a4_inducer", "cyp3a4_inhibitor", "other",
)


@dataclass(frozen=True)
class ActionSpec:
    code: str
    kind: str  # dosing | co_treatment | workup
    params: tuple[str, ...]
    meaning: str


_ACTIONS = [
    ActionSpec("continue_imatinib", "dosing", ("dose_mg", "schedule"), "keep the current dose"),
    ActionSpec("interrupt_imatinib", "dosing", ("until",), "hold now, temporarily, until a stated recovery criterion"),
    ActionSpec("discontinue_imatinib", "dosing", (), "stop for good"),
    ActionSpec("reduce_dose", "dosing", ("dose_mg", "schedule"), "continue at a lower dose"),
    ActionSpec("rechallenge_imatinib", "dosing", ("dose_mg", "schedule", "titration"), "restart after an interruption, with the step-up plan"),
    ActionSpec("escalate_dose", "dosing", ("dose_mg", "schedule"), "raise the dose"),
    ActionSpec("switch_to_sunitinib", "dosing", (), "change to second line (implies stopping imatinib)"),
    ActionSpec("systemic_corticosteroid", "co_treatment", ("drug", "dose_mg_per_day", "taper"), "start an oral or IV corticosteroid"),
    ActionSpec("taper_corticosteroid", "co_treatment", ("to_mg_per_day",), "lower the corticosteroid dose"),
    ActionSpec("topical_corticosteroid", "co_treatment", (), "topical steroid on affected skin"),
    ActionSpec("antihistamine", "co_treatment", ("drug",), "start or keep an oral antihistamine"),
    ActionSpec("stop_antihistamine", "co_treatment", (), "try stopping the antihistamine"),
    ActionSpec("g_csf", "co_treatment", (), "granulocyte colony-stimulating factor"),
    ActionSpec("empiric_antibiotics", "co_treatment", (), "empiric broad-spectrum antibiotics"),
    ActionSpec("ursodeoxycholic_acid", "co_treatment", ("dose_mg_per_day",), "ursodeoxycholic acid as supportive liver care"),
    ActionSpec("supportive_care", "co_treatment", ("items",), "supportive measures (hydration, emollient, nutrition, ...)"),
    ActionSpec("analgesia", "co_treatment", (), "analgesics"),
    ActionSpec("diuretic", "co_treatment", (), "a diuretic, with salt restriction"),
    ActionSpec("antidiarrheal", "co_treatment", (), "loperamide or similar"),
    ActionSpec("antiemetic", "co_treatment", (), "an antiemetic (avoid strong CYP3A4 modulators)"),
    ActionSpec("monitor_labs", "workup", ("tests", "interval_days"), "repeat the named tests at the interval"),
    ActionSpec("hepatic_workup", "workup", ("tests",), "look for other causes of liver injury"),
    ActionSpec("liver_biopsy", "workup", (), "liver biopsy"),
    ActionSpec("bone_imaging", "workup", ("modality",), "bone scan or MRI"),
    ActionSpec("dermatology_referral", "workup", (), "dermatology consultation"),
    ActionSpec("hospital_admission", "workup", (), "admit to hospital"),
    ActionSpec("surgical_consult", "workup", ("reason",), "surgical opinion"),
    ActionSpec("tumor_assessment", "workup", ("modality",), "restage the tumour"),
    ActionSpec("trough_level", "workup", (), "imatinib trough plasma level"),
    ActionSpec("clinician_review", "workup", ("reason",), "no rule covers this state: the clinician decides"),
]
ACTIONS: dict[str, ActionSpec] = {a.code: a for a in _ACTIONS}
DOSING_ACTIONS = tuple(a.code for a in _ACTIONS if a.kind == "dosing")
DOSING_WHILE_TAKING = ("continue_imatinib", "reduce_dose", "escalate_dose", "interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib")
DOSING_WHILE_OFF = ("interrupt_imatinib", "rechallenge_imatinib", "discontinue_imatinib", "switch_to_sunitinib")

# Precedence when rules disagree on dosing: the most cautious wins. Escalation ranks above
# continue so that a mild toxicity does not silently cancel a progression decision; the
# safety layer still blocks escalation during any unresolved grade >= 3 event.
DOSING_PRECEDENCE = {
    "switch_to_sunitinib": 6,
    "discontinue_imatinib": 5,
    "interrupt_imatinib": 4,
    "reduce_dose": 3,
    "rechallenge_imatinib": 3,
    "escalate_dose": 2,
    "continue_imatinib": 1,
}


def suggest(word: str, choices) -> str:
    """' (did you mean ...?)': near spellings, then values that contain the word ('steroid' ->
    'systemic_corticosteroid')."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=3, cutoff=0.5)
    folded = str(word).strip().lower().replace(" ", "_").replace("-", "_")
    containing = [c for c in choices if len(folded) >= 4 and folded in c.lower()] if folded not in choices else []
    offer = list(dict.fromkeys(containing + close))[:3]
    return f" (did you mean {', '.join(repr(c) for c in offer)}?)" if offer else ""


# Up to this many accepted values are listed in an error message; longer lists are named by
# where to read them, after the nearest matches.
LISTED = 16


def not_accepted(what: str, value: object, choices, where: str, hint: str = "") -> str:
    """The message for a value outside a closed list: the nearest matches, then the list itself
    or, when it is long, where to read it (`where`, e.g. "`advisor rules list`")."""
    choices = [str(c) for c in choices]
    head = f"unknown {what} '{value}'{hint or suggest(str(value), choices)}"
    if len(choices) <= LISTED:
        return f"{head}; expected one of: {', '.join(choices)}"
    return f"{head}; all {len(choices)} are listed by {where}"


# Words clinicians use for events the vocabulary names otherwise: the CTCAE term to offer.
TERM_HINTS = {
    "rash": "rash_maculopapular", "eruption": "rash_maculopapular", "exanthem": "rash_maculopapular",
    "dermatitis": "rash_maculopapular", "lichen": "rash_maculopapular", "psoria": "rash_maculopapular",
    "urticaria": "rash_maculopapular", "skin": "rash_maculopapular", "itch": "pruritus",
    "hepatitis": "alt_increased", "transaminase": "alt_increased", "liver": "alt_increased",
    "jaundice": "blood_bilirubin_increased", "neutropeni": "neutrophil_count_decreased",
    "thrombocytopeni": "platelet_count_decreased", "leukopeni": "white_blood_cell_decreased",
    "oedema": "edema_limbs", "swelling": "edema_limbs", "periorbital": "edema_face", "effusion": "pleural_effusion",
    "bleed": "gastrointestinal_hemorrhage", "haemorrhage": "gastrointestinal_hemorrhage", "cramp": "muscle_cramp",
    "sjs": "stevens_johnson_syndrome", "dress": "drug_reaction_eosinophilia", "interstitial": "pneumonitis",
    "kidney": "creatinine_increased", "renal": "creatinine_increased", "tired": "fatigue",
}


def suggest_term(value: str) -> str:
    """' (did you mean ...?)' for an unknown adverse-event term: clinical synonyms first,
    then near spellings, then terms sharing a word."""
    text = str(value).lower()
    hinted = [term for word, term in TERM_HINTS.items() if word in text]
    close = difflib.get_close_matches(text, list(AE_TERMS), n=3, cutoff=0.5)
    words = [w for w in text.replace("-", "_").split("_") if len(w) >= 3]
    sharing = [t for t in AE_TERMS if any(w in t for w in words)]
    offer = list(dict.fromkeys(hinted + close + sharing))[:3]
    return f" (did you mean {', '.join(repr(t) for t in offer)}?)" if offer else ""
