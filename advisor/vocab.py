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
# Non-lab terms the label's warnings need (contract additions, docs/vocabulary-additions.md).
AE_TERMS.update({
    "heart_failure": "cardiac",
    "hypothyroidism": "general",
    "tumor_lysis_syndrome": "general",
    "gastrointestinal_perforation": "gastrointestinal",
    "intra_abdominal_hemorrhage": "gastrointestinal",
    "acute_kidney_injury": "renal",
    "weight_gain": "fluid",
})

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
# CTCAE v5 grade ranges of the non-lab terms added for the label's warnings
MAX_GRADE.update({"weight_gain": 3})
MIN_GRADE.update({"tumor_lysis_syndrome": 3, "acute_kidney_injury": 3, "gastrointestinal_perforation": 2,
                  "intra_abdominal_hemorrhage": 2})

# More CTCAE v5 terms reported with imatinib, and CTCAE's own "<organ class> - Other, specify"
# terms (with `specify` naming the event): each joins an area, so the label's general
# non-hematologic rules decide them like any other event of that area.
AE_TERMS.update({
    "pancreatitis": "gastrointestinal",
    "mucositis_oral": "gastrointestinal",
    "abdominal_pain": "gastrointestinal",
    "constipation": "gastrointestinal",
    "dyspepsia": "gastrointestinal",
    "anorexia": "gastrointestinal",
    "photosensitivity": "skin",
    "palmar_plantar_erythrodysesthesia_syndrome": "skin",
    "urticaria": "skin",
    "rash_acneiform": "skin",
    "alopecia": "skin",
    "skin_hypopigmentation": "skin",
    "skin_hyperpigmentation": "skin",
    "lymphedema": "fluid",
    "dyspnea": "pulmonary",
    "epistaxis": "pulmonary",
    "electrocardiogram_qt_corrected_interval_prolonged": "cardiac",
    "hypoglycemia": "general",
    "hyperglycemia": "general",
    "headache": "general",
    "dysgeusia": "general",
    "weight_loss": "general",
    "gynecomastia": "general",
    "hematoma": "general",
    "intracranial_hemorrhage": "general",
    "thromboembolic_event": "general",
    "hearing_impaired": "general",
    "skin_disorder_other": "skin",
    "gastrointestinal_disorder_other": "gastrointestinal",
    "musculoskeletal_disorder_other": "musculoskeletal",
    "cardiac_disorder_other": "cardiac",
    "renal_disorder_other": "renal",
    "respiratory_disorder_other": "pulmonary",
    "eye_disorder_other": "general",
    "nervous_system_disorder_other": "general",
    "metabolism_disorder_other": "general",
    "general_disorder_other": "general",
})
# Terms CTCAE v5 grades by the measured value alone (no symptom, intervention or clinical arm):
# with the value given, a different stated grade cannot be right.
VALUE_DEFINED_TERMS = frozenset({
    "alt_increased", "ast_increased", "blood_bilirubin_increased", "alkaline_phosphatase_increased", "ggt_increased",
    "neutrophil_count_decreased", "platelet_count_decreased", "white_blood_cell_decreased", "lymphocyte_count_decreased",
    "cpk_increased", "creatinine_increased", "inr_increased",
})
# CTCAE v5 "Other, specify" terms: the event's own name goes in `specify` (required for these).
OTHER_SPECIFY = tuple(t for t in AE_TERMS if t.endswith("_disorder_other"))
MAX_GRADE.update({"abdominal_pain": 3, "dyspepsia": 3, "palmar_plantar_erythrodysesthesia_syndrome": 3, "urticaria": 3,
                  "alopecia": 2, "skin_hypopigmentation": 2, "skin_hyperpigmentation": 2, "lymphedema": 3,
                  "electrocardiogram_qt_corrected_interval_prolonged": 4, "headache": 3, "dysgeusia": 2,
                  "weight_loss": 3, "gynecomastia": 3, "hearing_impaired": 4})
MIN_GRADE.update({"pancreatitis": 2})

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
    "hbv_serology_positive": "HBsAg or anti-HBc positive (hepatitis B carrier or past infection)",
    "tumor_bleeding": "bleeding from the tumour itself seen at endoscopy or imaging",
}

OUTCOMES = ("resolved", "resolved_on_steroids", "recurred_on_rechallenge", "led_to_discontinuation")
TRENDS = ("new", "worsening", "stable", "improving", "resolved")
STATUSES = ("taking", "interrupted", "discontinued", "not_started")
SCHEDULES = ("daily", "twice_daily", "every_other_day")
INDICATIONS = ("adjuvant", "neoadjuvant", "metastatic", "unresectable")
RISKS = ("low", "intermediate", "high")
MUTATIONS = ("kit_exon_9", "kit_exon_11", "kit_exon_13", "kit_exon_17", "pdgfra_d842v", "pdgfra_other", "wild_type", "unknown",
             "sdh_deficient", "nf1_related")
HEPATIC_IMPAIRMENT = ("none", "mild", "moderate", "severe")  # NCI Organ Dysfunction Working Group classes
ATTRIBUTIONS = ("drug", "disease", "other", "unknown")
SURGERY_STATUSES = ("planned", "done")
RESECTIONS = ("r0", "r1", "r2")
SWITCH_DRUGS = ("sunitinib", "regorafenib", "ripretinib", "avapritinib")  # switch_therapy may also name another drug
# Earlier lines of treatment after (or instead of) imatinib, and how each ended (contract addition).
PRIOR_LINE_DRUGS = ("sunitinib", "regorafenib", "ripretinib", "avapritinib", "other")
PRIOR_LINE_OUTCOMES = ("progression", "intolerance", "ongoing")
SEXES = ("male", "female", "other")
RESPONSE_STATUSES = ("complete_response", "partial_response", "stable_disease", "progressive_disease", "no_evidence_of_disease", "not_assessed")
PROGRESSIONS = ("none", "limited", "generalized")
CRITERIA = ("recist_1_1", "choi", "pet", "clinical")
COMED_CLASSES = (
    "systemic_corticosteroid", "topical_corticosteroid", "antihistamine", "diuretic", "antibiotic",
    "g_csf", "analgesic", "antiemetic", "antidiarrheal", "ursodeoxycholic_acid",
    "cyp3a4_inducer", "cyp3a4_inhibitor", "other",
    "strong_cyp3a4_inducer", "strong_cyp3a4_inhibitor", "moderate_cyp3a4_inhibitor", "cyp3a4_substrate_narrow",
    "warfarin", "paracetamol", "levothyroxine",
)
# The older class names mean the strong ones: each pair is read as one class.
COMED_ALIASES = {"cyp3a4_inducer": "strong_cyp3a4_inducer", "cyp3a4_inhibitor": "strong_cyp3a4_inhibitor"}


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
    ActionSpec("switch_therapy", "dosing", ("drug",), "stop imatinib and change to the named drug (sunitinib, regorafenib, ripretinib, avapritinib, ...)"),
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
    ActionSpec("cardiac_evaluation", "workup", (), "assess cardiac function (echocardiogram, BNP)"),
    ActionSpec("clinician_review", "workup", ("reason",), "no rule covers this state: the clinician decides"),
]
ACTIONS: dict[str, ActionSpec] = {a.code: a for a in _ACTIONS}
DOSING_ACTIONS = tuple(a.code for a in _ACTIONS if a.kind == "dosing")
DOSING_WHILE_TAKING = ("continue_imatinib", "reduce_dose", "escalate_dose", "interrupt_imatinib", "discontinue_imatinib",
                       "switch_to_sunitinib", "switch_therapy")
DOSING_WHILE_OFF = ("interrupt_imatinib", "rechallenge_imatinib", "discontinue_imatinib", "switch_to_sunitinib", "switch_therapy")
# Decisions that take the patient off imatinib (for rendering and the safety layer)
STOPPING_ACTIONS = ("interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib", "switch_therapy")

# Precedence when rules disagree on dosing: the most cautious wins. Escalation ranks above
# continue so that a mild toxicity does not silently cancel a progression decision; the
# safety layer still blocks escalation during any unresolved grade >= 3 event.
DOSING_PRECEDENCE = {
    "switch_to_sunitinib": 6,
    "switch_therapy": 6,  # switch_to_sunitinib is switch_therapy {drug: sunitinib}
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


# Herbal remedies that induce CYP3A4 (the label names St John's wort): matched in the drug's name.
HERBAL_INDUCER_NAMES = ("st john", "st. john", "saint john", "hypericum", "johanniskraut", "millepertuis")


def is_herbal(drug: str) -> bool:
    text = drug.lower().replace("’", "'")
    return any(name in text for name in HERBAL_INDUCER_NAMES)


# Words people write for a key the contract names otherwise, offered before near spellings
# ('severity' is closer in letters to 'specify' than to 'grade').
KEY_HINTS = {"severity": "grade", "ctcae_grade": "grade", "cause": "attribution", "name": "specify",
             "description": "specify", "status_trend": "trend"}


def suggest_key(word: str, known) -> str:
    known = [str(k) for k in known]
    hint = KEY_HINTS.get(str(word).strip().lower())
    if hint in known:
        return f" (did you mean {hint!r}?)"
    return suggest(word, known)


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
    "dermatitis": "rash_maculopapular", "lichen": "rash_maculopapular", "psoria": "skin_disorder_other",
    "urticaria": "urticaria", "skin": "rash_maculopapular", "itch": "pruritus",
    "hepatitis": "alt_increased", "transaminase": "alt_increased", "liver": "alt_increased",
    "jaundice": "blood_bilirubin_increased", "neutropeni": "neutrophil_count_decreased",
    "thrombocytopeni": "platelet_count_decreased", "leukopeni": "white_blood_cell_decreased",
    "oedema": "edema_limbs", "swelling": "edema_limbs", "periorbital": "edema_face", "effusion": "pleural_effusion",
    "bleed": "gastrointestinal_hemorrhage", "haemorrhage": "gastrointestinal_hemorrhage", "cramp": "muscle_cramp",
    "sjs": "stevens_johnson_syndrome", "dress": "drug_reaction_eosinophilia", "interstitial": "pneumonitis",
    "kidney": "creatinine_increased", "renal": "creatinine_increased", "tired": "fatigue",
    "subdural": "intracranial_hemorrhage", "thromb": "thromboembolic_event", "embol": "thromboembolic_event",
    "hearing": "hearing_impaired", "tinnitus": "hearing_impaired", "cerebral": "intracranial_hemorrhage", "qt": "electrocardiogram_qt_corrected_interval_prolonged",
    "hand_foot": "palmar_plantar_erythrodysesthesia_syndrome", "hand-foot": "palmar_plantar_erythrodysesthesia_syndrome",
    "sweet": "skin_disorder_other", "pustul": "skin_disorder_other", "agep": "skin_disorder_other",
    "rhabdo": "musculoskeletal_disorder_other", "nephritis": "renal_disorder_other", "hair": "alopecia",
    "sun": "photosensitivity", "porphyri": "photosensitivity", "stomatitis": "mucositis_oral", "glucose": "hypoglycemia",
    "breath": "dyspnea", "conjunctiv": "eye_disorder_other", "vision": "eye_disorder_other",
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


# One line of meaning for each value of each closed vocabulary of the state, keyed by the
# vocabulary's name above. docs/contract/ shows them in tables generated from here
# (tools/contract_docs.py); tests/test_contract_docs.py fails when a vocabulary gains a value
# without a meaning here, or when the docs are not regenerated.
MEANINGS: dict[str, dict[str, str]] = {
    "SEXES": {
        "male": "male",
        "female": "female",
        "other": "neither or not stated as male or female",
    },
    "INDICATIONS": {
        "adjuvant": "after complete resection of a primary tumour, to lower the risk of recurrence",
        "neoadjuvant": "before planned surgery, to shrink the tumour",
        "metastatic": "disease that has spread (liver, peritoneum, ...)",
        "unresectable": "a primary tumour that cannot be removed safely",
    },
    "RISKS": {
        "low": "low risk of recurrence after resection (modified NIH / AFIP)",
        "intermediate": "intermediate risk of recurrence",
        "high": "high risk of recurrence (the usual reason for adjuvant imatinib)",
    },
    "MUTATIONS": {
        "kit_exon_9": "KIT exon 9 mutation (advanced disease: 800 mg/d is considered first line)",
        "kit_exon_11": "KIT exon 11 mutation, the commonest and most imatinib-sensitive",
        "kit_exon_13": "KIT exon 13 mutation",
        "kit_exon_17": "KIT exon 17 mutation",
        "pdgfra_d842v": "PDGFRA D842V mutation (resistant to imatinib)",
        "pdgfra_other": "any other PDGFRA mutation",
        "wild_type": "no KIT or PDGFRA mutation found",
        "unknown": "not tested, or the result is not known",
        "sdh_deficient": "KIT/PDGFRA wild-type, SDH-deficient (loss of SDHB staining): imatinib-insensitive",
        "nf1_related": "KIT/PDGFRA wild-type GIST in neurofibromatosis type 1: imatinib-insensitive",
    },
    "STATUSES": {
        "taking": "the patient takes imatinib now",
        "interrupted": "held for now, meant to restart (days_interrupted says since when)",
        "discontinued": "stopped for good",
        "not_started": "imatinib has not been started yet",
    },
    "SCHEDULES": {
        "daily": "the dose once a day",
        "twice_daily": "the daily dose split into two (800 mg/d as 400 mg twice daily)",
        "every_other_day": "100 mg every other day, below the bottom of the daily ladder",
    },
    "TRENDS": {
        "new": "first seen at this decision point",
        "worsening": "higher grade or more extensive than before",
        "stable": "unchanged since it was last seen",
        "improving": "getting better but not gone",
        "resolved": "gone (grade 0), kept in the state so that its history is known",
    },
    "OUTCOMES": {
        "resolved": "the episode went away",
        "resolved_on_steroids": "the episode went away with corticosteroids",
        "recurred_on_rechallenge": "the episode came back when imatinib was restarted",
        "led_to_discontinuation": "imatinib was stopped for good because of it",
    },
    "RESPONSE_STATUSES": {
        "complete_response": "no tumour left on imaging",
        "partial_response": "the tumour has shrunk (or lost density, by Choi)",
        "stable_disease": "neither response nor progression",
        "progressive_disease": "the tumour grows or new lesions appeared",
        "no_evidence_of_disease": "nothing to see after complete resection (adjuvant setting)",
        "not_assessed": "no tumour assessment at this point",
    },
    "PROGRESSIONS": {
        "none": "no progression",
        "limited": "one or a few lesions grow while the rest stay controlled (focal resistance)",
        "generalized": "progression at many sites",
    },
    "CRITERIA": {
        "recist_1_1": "RECIST 1.1 (size on CT or MRI)",
        "choi": "Choi criteria (size and CT density)",
        "pet": "FDG-PET uptake",
        "clinical": "clinical judgement without formal imaging criteria",
    },
    "COMED_CLASSES": {
        "systemic_corticosteroid": "oral or intravenous corticosteroid (prednisolone, ...)",
        "topical_corticosteroid": "corticosteroid applied to the skin",
        "antihistamine": "oral antihistamine",
        "diuretic": "diuretic (furosemide, spironolactone, ...)",
        "antibiotic": "antibacterial treatment",
        "g_csf": "granulocyte colony-stimulating factor",
        "analgesic": "pain medication",
        "antiemetic": "drug against nausea and vomiting",
        "antidiarrheal": "loperamide or similar",
        "ursodeoxycholic_acid": "ursodeoxycholic acid",
        "cyp3a4_inducer": "a strong CYP3A4 inducer (rifampicin, carbamazepine, phenytoin, St John's wort): lowers imatinib levels",
        "cyp3a4_inhibitor": "a strong CYP3A4 inhibitor (ketoconazole, clarithromycin, ritonavir, grapefruit): raises imatinib levels",
        "other": "anything else",
        "strong_cyp3a4_inducer": "a strong CYP3A4 inducer (rifampicin, phenytoin, carbamazepine, St John's wort, ...): lowers imatinib exposure",
        "strong_cyp3a4_inhibitor": "a strong CYP3A4 inhibitor (ketoconazole, itraconazole, clarithromycin, ritonavir, ...): raises imatinib exposure",
        "moderate_cyp3a4_inhibitor": "a moderate CYP3A4 inhibitor (diltiazem, verapamil, erythromycin, fluconazole, ...)",
        "cyp3a4_substrate_narrow": "a CYP3A4 substrate with a narrow therapeutic index (ciclosporin, tacrolimus, pimozide, fentanyl, ergots, quinidine)",
        "warfarin": "warfarin (a CYP2C9/CYP3A4 substrate; the label prefers heparins)",
        "paracetamol": "paracetamol (acetaminophen); liver toxicity reported with imatinib",
        "levothyroxine": "thyroid hormone replacement (levothyroxine)",
    },
    "AE_TERMS": {
        "alt_increased": "alanine aminotransferase above the upper limit of normal",
        "ast_increased": "aspartate aminotransferase above the upper limit of normal",
        "blood_bilirubin_increased": "total bilirubin above the upper limit of normal",
        "alkaline_phosphatase_increased": "alkaline phosphatase above the upper limit of normal",
        "hepatic_failure": "liver failure: encephalopathy, coagulopathy or jaundice from liver injury",
        "neutrophil_count_decreased": "neutrophils (ANC) below the lower limit of normal",
        "platelet_count_decreased": "platelets below the lower limit of normal",
        "white_blood_cell_decreased": "white cells below the lower limit of normal",
        "anemia": "haemoglobin below the lower limit of normal",
        "febrile_neutropenia": "ANC below 1.0 x 10^9/L with fever (a single temperature above 38.3 °C or 38 °C for an hour)",
        "hemolysis": "destruction of red cells (haemolysis)",
        "eosinophilia": "blood eosinophils above the upper limit of normal",
        "rash_maculopapular": "flat and raised red skin eruption, graded by body surface area",
        "erythroderma": "generalised red, inflamed skin over more than 90 % of the body surface",
        "pruritus": "itching",
        "erythema_multiforme": "target-shaped skin lesions, sometimes with mucosal involvement",
        "bullous_dermatitis": "skin inflammation with blisters",
        "stevens_johnson_syndrome": "severe mucocutaneous reaction with skin detachment below 10 % of body surface",
        "toxic_epidermal_necrolysis": "skin detachment over 30 % of body surface (life-threatening)",
        "drug_reaction_eosinophilia": "DRESS: rash, fever, eosinophilia and internal organ involvement",
        "edema_limbs": "swelling of the arms or legs",
        "edema_face": "swelling of the face, typically around the eyes (periorbital)",
        "edema_generalized": "swelling of the whole body (anasarca)",
        "fluid_retention": "fluid retention or weight gain from it, without a more specific term",
        "pleural_effusion": "fluid around the lungs",
        "pericardial_effusion": "fluid around the heart",
        "ascites": "fluid in the abdomen",
        "pulmonary_edema": "fluid in the lungs",
        "bone_pain": "pain in the bones",
        "arthralgia": "joint pain",
        "myalgia": "muscle pain",
        "muscle_cramp": "painful involuntary muscle contractions",
        "diarrhea": "more frequent or looser stools than usual",
        "nausea": "feeling sick",
        "vomiting": "being sick",
        "gastrointestinal_hemorrhage": "bleeding into the gut (from the tumour or the mucosa)",
        "creatinine_increased": "serum creatinine above the upper limit of normal (or the baseline)",
        "pneumonitis": "inflammation of the lung tissue (interstitial lung disease)",
        "fatigue": "tiredness not relieved by rest",
        "fever": "body temperature above 38.0 °C",
        "ggt_increased": "gamma-glutamyl transferase above the upper limit of normal",
        "lymphocyte_count_decreased": "lymphocytes below the lower limit of normal",
        "hypokalemia": "blood potassium below the lower limit of normal",
        "hypocalcemia": "blood calcium (corrected for albumin) or ionized calcium below the lower limit of normal",
        "hypomagnesemia": "blood magnesium below the lower limit of normal",
        "hypophosphatemia": "blood phosphate below the lower limit of normal (CTCAE v5 grades it by symptoms, not the value)",
        "cpk_increased": "creatine kinase (CK, CPK) above the upper limit of normal",
        "hypoalbuminemia": "blood albumin below the lower limit of normal",
        "inr_increased": "INR above the upper limit of normal (above the baseline when on anticoagulation)",
        "heart_failure": "congestive heart failure or left ventricular dysfunction (oedema, dyspnoea, low ejection fraction)",
        "hypothyroidism": "an underactive thyroid (raised TSH), or more levothyroxine needed after thyroidectomy",
        "tumor_lysis_syndrome": "metabolic derangement (potassium, urate, phosphate up; calcium down) from a rapidly dying bulky tumour",
        "gastrointestinal_perforation": "a hole in the wall of the bowel or stomach",
        "intra_abdominal_hemorrhage": "bleeding into the abdomen (often from the tumour itself)",
        "acute_kidney_injury": "an acute fall in kidney function",
        "weight_gain": "weight gain (rapid, unexpected gain suggests fluid retention)",
        "pancreatitis": "inflammation of the pancreas (enzymes raised with imaging findings, or pain)",
        "mucositis_oral": "inflammation and ulcers of the mouth lining",
        "abdominal_pain": "pain in the abdomen",
        "constipation": "infrequent or difficult bowel movements",
        "dyspepsia": "indigestion, upper abdominal discomfort",
        "anorexia": "loss of appetite",
        "photosensitivity": "skin reaction to sunlight (sunburn-like, pseudoporphyria)",
        "palmar_plantar_erythrodysesthesia_syndrome": "hand-foot skin reaction: redness, swelling, pain of palms and soles",
        "urticaria": "hives (itchy raised wheals)",
        "rash_acneiform": "acne-like pustular eruption",
        "alopecia": "hair loss",
        "skin_hypopigmentation": "loss of skin colour",
        "skin_hyperpigmentation": "darkening of the skin",
        "lymphedema": "swelling from lymph (limb or genital), not from fluid retention in general",
        "dyspnea": "shortness of breath",
        "epistaxis": "nosebleed",
        "electrocardiogram_qt_corrected_interval_prolonged": "QTc prolonged on the ECG (grade 3: above 500 ms)",
        "hypoglycemia": "blood glucose below normal",
        "hyperglycemia": "blood glucose above normal",
        "headache": "headache",
        "dysgeusia": "altered taste",
        "weight_loss": "weight loss",
        "gynecomastia": "breast enlargement in a man",
        "hematoma": "a collection of blood in tissue (bruise, haematoma) outside the skull",
        "intracranial_hemorrhage": "bleeding inside the skull (subdural or intracerebral haematoma)",
        "thromboembolic_event": "a blood clot in a vein or artery (deep vein thrombosis, pulmonary embolism, cerebral sinus thrombosis)",
        "hearing_impaired": "hearing loss",
        "skin_disorder_other": "CTCAE 'Skin and subcutaneous tissue disorders - Other': name it in `specify` (Sweet syndrome, AGEP, psoriasiform eruption)",
        "gastrointestinal_disorder_other": "CTCAE 'Gastrointestinal disorders - Other': name it in `specify`",
        "musculoskeletal_disorder_other": "CTCAE 'Musculoskeletal and connective tissue disorders - Other' (rhabdomyolysis): name it in `specify`",
        "cardiac_disorder_other": "CTCAE 'Cardiac disorders - Other': name it in `specify`",
        "renal_disorder_other": "CTCAE 'Renal and urinary disorders - Other' (interstitial nephritis): name it in `specify`",
        "respiratory_disorder_other": "CTCAE 'Respiratory, thoracic and mediastinal disorders - Other': name it in `specify`",
        "eye_disorder_other": "CTCAE 'Eye disorders - Other' (conjunctival haemorrhage, macular oedema): name it in `specify`",
        "nervous_system_disorder_other": "CTCAE 'Nervous system disorders - Other': name it in `specify`",
        "metabolism_disorder_other": "CTCAE 'Metabolism and nutrition disorders - Other': name it in `specify`",
        "general_disorder_other": "CTCAE 'General disorders - Other' or any other organ class: name it in `specify`",
    },
    "HEPATIC_IMPAIRMENT": {
        "none": "no liver impairment before imatinib",
        "mild": "mild liver impairment before imatinib (NCI ODWG: bilirubin up to 1.5 x ULN, any AST)",
        "moderate": "moderate liver impairment before imatinib (NCI ODWG: bilirubin > 1.5-3 x ULN)",
        "severe": "severe liver impairment before imatinib (NCI ODWG: bilirubin > 3-10 x ULN)",
    },
    "ATTRIBUTIONS": {
        "drug": "the treating team attributes the event to imatinib",
        "disease": "the event comes from the tumour itself (tumour bleeding, tumour lysis after a response)",
        "other": "another cause (another drug, an infection, ...)",
        "unknown": "not attributed (the default)",
    },
    "PRIOR_LINE_DRUGS": {
        "sunitinib": "sunitinib (second line)",
        "regorafenib": "regorafenib (third line)",
        "ripretinib": "ripretinib (fourth line)",
        "avapritinib": "avapritinib (PDGFRA exon 18 D842V)",
        "other": "another drug or a clinical trial",
    },
    "PRIOR_LINE_OUTCOMES": {
        "progression": "the tumour grew on it",
        "intolerance": "stopped for side effects",
        "ongoing": "still being given",
    },
    "SURGERY_STATUSES": {
        "planned": "an operation is planned (the pre-operative setting)",
        "done": "the operation has been done",
    },
    "RESECTIONS": {
        "r0": "complete resection with microscopically clear margins",
        "r1": "microscopically involved margins",
        "r2": "macroscopic tumour left behind",
    },
}
