"""The label's and the guidelines' breadth as vignettes: special populations, interactions, the
rarer warnings, settings and genotypes, and the general principles every area must honour.

Each case states the clinical situation, the dosing decision (and dose or drug) the source
gives, and the rules that must fire; every rule added for the knowledge map fires in one.
"""

from __future__ import annotations

import pytest

from tests.conftest import advise


def taking(dose_mg: int = 400, **extra) -> dict:
    return {"status": "taking", "dose_mg": dose_mg, "schedule": "twice_daily" if dose_mg == 800 else "daily", **extra}


def held(dose_mg: int = 400, **extra) -> dict:
    return {"status": "interrupted", "dose_mg": dose_mg, "schedule": "twice_daily" if dose_mg == 800 else "daily",
            "days_interrupted": 14, **extra}


NOT_STARTED = {"status": "not_started"}
STABLE = {"status": "stable_disease"}
GENERALIZED_PD = {"status": "progressive_disease", "progression": "generalized"}
NORMAL_LIVER = {"alt": {"value": 30, "unit": "U/L", "uln": 40}, "bilirubin_total": {"value": 0.8, "unit": "mg/dL", "uln": 1.2}}


def adv(**state) -> dict:
    return {"indication": "metastatic", **state}


# (id, state, dosing action, dosing params that must match, rules that must fire, other actions required)
CASES = [
    # ---- strong CYP3A4 inducer: the US label's >= 50 % increase, within the caps
    ("inducer-raises-400-to-600", adv(imatinib=taking(), co_medications=[{"drug": "rifampicin", "class": "strong_cyp3a4_inducer"}]),
     "escalate_dose", {"dose_mg": 600}, ["cyp3a4-inducer"], ["trough_level"]),
    ("inducer-old-class-name-means-strong", adv(imatinib=taking(), co_medications=[{"drug": "phenytoin", "class": "cyp3a4_inducer"}]),
     "escalate_dose", {"dose_mg": 600}, ["cyp3a4-inducer"], []),
    ("inducer-at-renal-cap", adv(patient={"creatinine_clearance_ml_min": 30}, imatinib=taking(),
                                  co_medications=[{"drug": "rifampicin", "class": "cyp3a4_inducer"}]),
     "continue_imatinib", {"dose_mg": 400}, ["cyp3a4-inducer-no-room"], ["clinician_review", "trough_level"]),
    ("strong-inhibitor-new-name", adv(imatinib=taking(), co_medications=[{"drug": "itraconazole", "class": "strong_cyp3a4_inhibitor"}]),
     "continue_imatinib", {"dose_mg": 400}, ["cyp3a4-inhibitor"], ["monitor_labs"]),
    ("moderate-inhibitor", adv(imatinib=taking(), co_medications=[{"drug": "diltiazem", "class": "moderate_cyp3a4_inhibitor"}]),
     "continue_imatinib", {"dose_mg": 400}, ["cyp3a4-moderate-inhibitor"], ["monitor_labs"]),
    ("narrow-substrate", adv(imatinib=taking(), response=STABLE, co_medications=[{"drug": "tacrolimus", "class": "cyp3a4_substrate_narrow"}]),
     "continue_imatinib", {"dose_mg": 400}, ["cyp3a4-narrow-substrate"], ["monitor_labs"]),
    ("warfarin-to-heparin", adv(imatinib=taking(), response=STABLE, co_medications=[{"drug": "warfarin", "class": "warfarin"}]),
     "continue_imatinib", {"dose_mg": 400}, ["warfarin-with-imatinib"], ["supportive_care", "monitor_labs"]),
    ("paracetamol-liver-tests", adv(imatinib=taking(), co_medications=[{"drug": "paracetamol", "class": "paracetamol"}]),
     "continue_imatinib", {"dose_mg": 400}, ["paracetamol-with-imatinib"], ["monitor_labs"]),
    ("levothyroxine-tsh", adv(imatinib=taking(), response=STABLE, co_medications=[{"drug": "levothyroxine", "class": "levothyroxine"}]),
     "continue_imatinib", {"dose_mg": 400}, ["levothyroxine-tsh"], ["monitor_labs"]),
    ("hypothyroidism-grade-2", adv(imatinib=taking(), adverse_events=[{"term": "hypothyroidism", "grade": 2}]),
     "continue_imatinib", {"dose_mg": 400}, ["hypothyroidism-replace"], ["supportive_care"]),
    # ---- renal impairment (US label; EU differs: knowledge map us-2-renal-*)
    ("renal-moderate-start-halved", adv(patient={"creatinine_clearance_ml_min": 30}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 200}, ["renal-start-moderate"], ["monitor_labs"]),
    ("renal-moderate-start-by-cockcroft-gault", adv(patient={"age": 80, "sex": "female", "weight_kg": 50},
                                                    labs={"creatinine": {"value": 1.4, "unit": "mg/dL"}}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 200}, ["renal-start-moderate"], []),
    ("renal-mild-caps-exon9-start-at-600", adv(mutation="kit_exon_9", patient={"creatinine_clearance_ml_min": 45}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 600}, ["start-kit-exon9-high-dose"], []),
    ("renal-severe-start-waits", adv(patient={"creatinine_clearance_ml_min": 15}, imatinib=NOT_STARTED),
     "interrupt_imatinib", {}, ["renal-severe-start-hold", "renal-severe-clinician"], ["clinician_review"]),
    ("renal-mild-monitored", adv(patient={"creatinine_clearance_ml_min": 50}, imatinib=taking(), response=STABLE),
     "continue_imatinib", {"dose_mg": 400}, ["renal-impairment-monitor"], ["monitor_labs"]),
    ("renal-unknown-before-start", adv(imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 400}, ["renal-baseline-before-start", "hbv-screen-before-start", "tls-before-start"],
     ["monitor_labs", "hepatic_workup", "supportive_care"]),
    ("above-renal-cap-reduced", adv(patient={"creatinine_clearance_ml_min": 45}, imatinib=taking(800), response=STABLE),
     "reduce_dose", {"dose_mg": 600}, ["dose-above-cap-reduce"], []),
    ("progression-at-renal-cap-switches", adv(patient={"creatinine_clearance_ml_min": 45}, imatinib=taking(600), response=GENERALIZED_PD),
     "switch_therapy", {"drug": "sunitinib"}, ["resp-generalized-no-room-switch"], []),
    ("progression-below-renal-cap-escalates-to-cap", adv(patient={"creatinine_clearance_ml_min": 45}, imatinib=taking(400), response=GENERALIZED_PD),
     "escalate_dose", {"dose_mg": 600}, ["resp-generalized-escalate"], []),
    # ---- dose history: earlier intolerance and escalation already tried
    ("escalation-tried-no-room", adv(imatinib=taking(400, escalation_tried=True), response=GENERALIZED_PD),
     "switch_therapy", {"drug": "sunitinib"}, ["resp-generalized-no-room-switch"], []),
    ("escalation-tried-up-to-highest-tolerated", adv(imatinib=taking(400, escalation_tried=True, highest_tolerated_mg=600), response=GENERALIZED_PD),
     "escalate_dose", {"dose_mg": 600}, ["resp-generalized-escalate"], []),
    ("not-tolerated-800-switches", adv(imatinib=taking(400, not_tolerated_mg=[800]), response=GENERALIZED_PD),
     "switch_to_sunitinib", {}, ["resp-progression-intolerant-switch"], []),
    ("taking-a-dose-not-tolerated-reduces", adv(imatinib=taking(600, not_tolerated_mg=[600]), response=STABLE),
     "reduce_dose", {"dose_mg": 400}, ["dose-above-cap-reduce"], []),
    # ---- hepatic impairment (US 25 % lower in severe; EU 400 mg: knowledge map us-2-hepatic-impairment)
    ("hepatic-severe-start-300", adv(patient={"hepatic_impairment": "severe"}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 300}, ["hepatic-severe-start", "hepatic-impairment-monitor"], ["monitor_labs"]),
    ("hepatic-severe-exon9-start-600", adv(mutation="kit_exon_9", patient={"hepatic_impairment": "severe"}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 600}, ["hepatic-severe-start"], []),
    ("hepatic-severe-on-400-reduced-to-300", adv(patient={"hepatic_impairment": "severe"}, imatinib=taking(), response=STABLE),
     "reduce_dose", {"dose_mg": 300}, ["dose-above-cap-reduce"], []),
    ("hepatic-moderate-start-unchanged", adv(patient={"hepatic_impairment": "moderate"}, imatinib=NOT_STARTED),
     "rechallenge_imatinib", {"dose_mg": 400}, ["hepatic-impairment-monitor"], ["monitor_labs"]),
    # ---- pregnancy, breastfeeding, hepatitis B
    ("pregnancy-holds-for-the-team", adv(patient={"pregnant": True}, imatinib=taking(), response=STABLE),
     "interrupt_imatinib", {}, ["pregnancy-hold"], ["clinician_review"]),
    ("breastfeeding-advice", adv(patient={"breastfeeding": True}, imatinib=taking(), response=STABLE),
     "continue_imatinib", {"dose_mg": 400}, ["breastfeeding-advice"], ["supportive_care"]),
    ("hbv-carrier", adv(findings=["hbv_serology_positive"], imatinib=taking(), response=STABLE),
     "continue_imatinib", {"dose_mg": 400}, ["hbv-carrier-monitor"], ["monitor_labs", "clinician_review"]),
    # ---- cardiac, bleeding, perforation, tumour lysis, kidney, weight
    ("heart-failure-grade-2-holds", adv(imatinib=taking(), adverse_events=[{"term": "heart_failure", "grade": 2}]),
     "interrupt_imatinib", {}, ["cardiac-hf-hold", "cardiac-hf-evaluate"], ["cardiac_evaluation", "diuretic"]),
    ("heart-failure-grade-1-continues", adv(imatinib=taking(), adverse_events=[{"term": "heart_failure", "grade": 1}]),
     "continue_imatinib", {"dose_mg": 400}, ["cardiac-hf-mild-continue"], ["cardiac_evaluation"]),
    ("intra-abdominal-bleed", adv(imatinib=taking(), adverse_events=[{"term": "intra_abdominal_hemorrhage", "grade": 3, "attribution": "disease"}]),
     "interrupt_imatinib", {}, ["intra-abdominal-hemorrhage-hold"], ["hospital_admission", "surgical_consult"]),
    ("perforation", adv(imatinib=taking(), adverse_events=[{"term": "gastrointestinal_perforation", "grade": 3}]),
     "interrupt_imatinib", {}, ["gi-perforation-hold"], ["hospital_admission", "surgical_consult"]),
    ("tumour-lysis", adv(imatinib=taking(), adverse_events=[{"term": "tumor_lysis_syndrome", "grade": 3, "attribution": "disease"}]),
     "interrupt_imatinib", {}, ["tls-acute-care"], ["hospital_admission", "supportive_care", "monitor_labs"]),
    ("tumour-lysis-resolved-same-dose", adv(imatinib=held(), adverse_events=[{"term": "tumor_lysis_syndrome", "grade": 3, "trend": "resolved", "attribution": "disease"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["disease-event-recovered-resume"], []),
    ("tumour-lysis-read-as-disease-when-unattributed", adv(imatinib=held(), adverse_events=[
        {"term": "tumor_lysis_syndrome", "grade": 3, "trend": "resolved"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["disease-event-recovered-resume"], []),
    ("acute-kidney-injury", adv(imatinib=taking(), adverse_events=[{"term": "acute_kidney_injury", "grade": 3}]),
     "interrupt_imatinib", {}, ["aki-care", "nonheme-grade3-hold"], ["hospital_admission"]),
    ("rapid-weight-gain-holds", adv(imatinib=taking(), adverse_events=[{"term": "weight_gain", "grade": 3, "trend": "new"}]),
     "interrupt_imatinib", {}, ["fluid-weight-gain-rapid"], ["diuretic", "cardiac_evaluation"]),
    ("moderate-weight-gain-continues", adv(imatinib=taking(), adverse_events=[{"term": "weight_gain", "grade": 2, "trend": "new"}]),
     "continue_imatinib", {"dose_mg": 400}, ["fluid-weight-gain-moderate"], ["diuretic", "cardiac_evaluation"]),
    ("stable-weight-gain-diuretic", adv(imatinib=taking(), adverse_events=[{"term": "weight_gain", "grade": 1, "trend": "stable"}]),
     "continue_imatinib", {"dose_mg": 400}, ["fluid-weight-gain-mild"], ["diuretic"]),
    # ---- genotypes and settings (ESMO 2022, NCCN)
    ("d842v-advanced-avapritinib", adv(mutation="pdgfra_d842v", imatinib=NOT_STARTED),
     "switch_therapy", {"drug": "avapritinib"}, ["d842v-advanced-avapritinib"], []),
    ("d842v-neoadjuvant-no-imatinib", {"indication": "neoadjuvant", "mutation": "pdgfra_d842v", "imatinib": NOT_STARTED},
     "discontinue_imatinib", {}, ["neoadjuvant-d842v-no-imatinib"], ["clinician_review"]),
    ("sdh-deficient-adjuvant-none", {"indication": "adjuvant", "risk": "high", "mutation": "sdh_deficient", "imatinib": NOT_STARTED},
     "discontinue_imatinib", {}, ["adjuvant-insensitive-genotype-none"], []),
    ("low-risk-adjuvant-none", {"indication": "adjuvant", "risk": "low", "imatinib": NOT_STARTED},
     "discontinue_imatinib", {}, ["adjuvant-low-risk-none"], []),
    ("intermediate-risk-shared-decision", {"indication": "adjuvant", "risk": "intermediate", "imatinib": NOT_STARTED},
     "interrupt_imatinib", {}, ["adjuvant-intermediate-clinician"], ["clinician_review"]),
    ("rupture-is-high-risk", {"indication": "adjuvant", "risk": "intermediate", "imatinib": NOT_STARTED,
                              "surgery": {"status": "done", "days_since": 30, "rupture": True}},
     "rechallenge_imatinib", {"dose_mg": 400}, ["start-adjuvant-rupture"], []),
    ("rupture-at-three-years", {"indication": "adjuvant", "risk": "high", "day": 1100, "imatinib": taking(),
                                "response": {"status": "no_evidence_of_disease"},
                                "surgery": {"status": "done", "days_since": 1130, "rupture": True}},
     "continue_imatinib", {"dose_mg": 400}, ["adjuvant-rupture-duration-clinician"], ["clinician_review"]),
    ("r1-margin-review", {"indication": "adjuvant", "risk": "high", "imatinib": NOT_STARTED,
                          "surgery": {"status": "done", "days_since": 30, "resection": "r1"}},
     "rechallenge_imatinib", {"dose_mg": 400}, ["surgery-resection-margin-review", "start-adjuvant-high-risk"], ["clinician_review"]),
    ("sdh-deficient-advanced", adv(mutation="sdh_deficient", imatinib=NOT_STARTED),
     "interrupt_imatinib", {}, ["sdh-nf1-advanced-clinician"], ["clinician_review"]),
    ("preop-stop-three-days-before", {"indication": "neoadjuvant", "imatinib": taking(), "response": {"status": "partial_response"},
                                      "surgery": {"status": "planned", "days_until": 3}},
     "interrupt_imatinib", {}, ["surgery-preop-stop"], []),
    ("preop-continue-a-month-before", {"indication": "neoadjuvant", "imatinib": taking(), "response": {"status": "partial_response"},
                                       "surgery": {"status": "planned", "days_until": 30}},
     "continue_imatinib", {"dose_mg": 400}, ["surgery-preop-continue"], []),
    ("postop-resume", {"indication": "neoadjuvant", "risk": "high", "imatinib": held(),
                       "response": {"status": "no_evidence_of_disease"}, "surgery": {"status": "done", "days_since": 14, "resection": "r0"}},
     "rechallenge_imatinib", {"dose_mg": 400}, ["surgery-postop-resume"], []),
    ("neoadjuvant-early-assessment", {"indication": "neoadjuvant", "day": 20, "imatinib": taking()},
     "continue_imatinib", {"dose_mg": 400}, ["neoadjuvant-early-assessment"], ["tumor_assessment"]),
    ("neoadjuvant-surgery-after-six-months", {"indication": "neoadjuvant", "day": 200, "imatinib": taking(),
                                              "response": {"status": "partial_response"}},
     "continue_imatinib", {"dose_mg": 400}, ["neoadjuvant-surgery-timing"], ["surgical_consult"]),
    ("neoadjuvant-progression", {"indication": "neoadjuvant", "day": 60, "imatinib": taking(), "response": GENERALIZED_PD},
     "escalate_dose", {"dose_mg": 800}, ["neoadjuvant-progression-surgery"], ["surgical_consult"]),
    ("progression-on-sunitinib", adv(imatinib={"status": "discontinued"}, co_medications=[{"drug": "sunitinib"}], response=GENERALIZED_PD),
     "switch_therapy", {"drug": "regorafenib"}, ["later-line-regorafenib"], []),
    ("progression-on-regorafenib", adv(imatinib={"status": "discontinued"}, co_medications=[{"drug": "regorafenib"}], response=GENERALIZED_PD),
     "switch_therapy", {"drug": "ripretinib"}, ["later-line-ripretinib"], []),
    # ---- laboratory changes the label does not dose by
    ("lymphopenia-grade-3-held", adv(imatinib=taking(), labs={"lymphocytes": {"value": 0.3, "unit": "10^9/L"}}),
     "interrupt_imatinib", {}, ["lab-marker-severe-hold"], ["monitor_labs"]),
    ("lymphopenia-grade-3-settled-same-dose", adv(imatinib=held(), adverse_events=[
        {"term": "lymphocyte_count_decreased", "grade": 3, "trend": "resolved"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["lymphocytes-recovered-restart"], []),
    ("ggt-grade-3-settled-restarts-like-the-liver", adv(imatinib=held(), labs=NORMAL_LIVER,
                                                        adverse_events=[{"term": "ggt_increased", "grade": 3, "trend": "resolved"}]),
     "rechallenge_imatinib", {"dose_mg": 300}, ["hep-recovered-rechallenge"], []),
    # ---- general principles
    ("low-grade-event-resolved-restarts", adv(imatinib=held(), adverse_events=[{"term": "diarrhea", "grade": 2, "trend": "resolved"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["low-grade-recovered-restart"], []),
    ("tumour-bleed-resolved-same-dose", adv(imatinib=held(), adverse_events=[
        {"term": "gastrointestinal_hemorrhage", "grade": 3, "trend": "resolved", "attribution": "disease"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["disease-event-recovered-resume"], []),
    ("tumour-bleed-by-finding-same-dose", adv(imatinib=held(), findings=["tumor_bleeding"], adverse_events=[
        {"term": "gastrointestinal_hemorrhage", "grade": 3, "trend": "resolved"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["disease-event-recovered-resume"], []),
    ("drug-bleed-resolved-one-level-lower", adv(imatinib=held(), adverse_events=[
        {"term": "gastrointestinal_hemorrhage", "grade": 3, "trend": "resolved", "attribution": "drug"}]),
     "rechallenge_imatinib", {"dose_mg": 300}, ["nonheme-recovered-rechallenge"], []),
    ("tumour-bleed-severe-still-held", adv(imatinib=taking(), adverse_events=[
        {"term": "gastrointestinal_hemorrhage", "grade": 3, "attribution": "disease"}]),
     "interrupt_imatinib", {}, ["gi-hemorrhage-hold"], ["hospital_admission"]),
    ("tumour-grade-4-bleed-no-switch", adv(imatinib=held(), adverse_events=[
        {"term": "gastrointestinal_hemorrhage", "grade": 4, "trend": "resolved", "attribution": "disease"}]),
     "rechallenge_imatinib", {"dose_mg": 400}, ["disease-event-recovered-resume"], []),
]

NEW_RULES = {
    "cyp3a4-inducer", "cyp3a4-inducer-no-room", "cyp3a4-moderate-inhibitor", "cyp3a4-narrow-substrate", "warfarin-with-imatinib",
    "paracetamol-with-imatinib", "levothyroxine-tsh", "hypothyroidism-replace", "low-grade-recovered-restart",
    "disease-event-recovered-resume", "dose-above-cap-reduce", "resp-generalized-no-room-switch", "renal-start-moderate",
    "renal-severe-clinician", "renal-severe-start-hold", "renal-impairment-monitor", "renal-baseline-before-start",
    "hepatic-severe-start", "hepatic-impairment-monitor", "pregnancy-hold", "breastfeeding-advice", "hbv-carrier-monitor",
    "hbv-screen-before-start", "tls-before-start", "cardiac-hf-evaluate", "cardiac-hf-hold", "cardiac-hf-mild-continue",
    "intra-abdominal-hemorrhage-hold", "gi-perforation-hold", "tls-acute-care", "aki-care", "fluid-weight-gain-rapid",
    "fluid-weight-gain-mild", "d842v-advanced-avapritinib", "neoadjuvant-d842v-no-imatinib", "adjuvant-insensitive-genotype-none",
    "adjuvant-low-risk-none", "adjuvant-intermediate-clinician", "start-adjuvant-rupture", "adjuvant-rupture-duration-clinician",
    "surgery-resection-margin-review", "sdh-nf1-advanced-clinician", "surgery-preop-stop", "surgery-preop-continue",
    "surgery-postop-resume", "neoadjuvant-early-assessment", "neoadjuvant-surgery-timing", "neoadjuvant-progression-surgery",
    "later-line-regorafenib", "later-line-ripretinib", "lab-marker-severe-hold", "lymphocytes-recovered-restart",
}


@pytest.mark.parametrize(("state", "dosing", "params", "fired", "includes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_label_and_guideline_vignette(state, dosing, params, fired, includes):
    advice = advise(state)
    assert advice.dosing.action == dosing, (advice.dosing, advice.fired_rules())
    for k, v in params.items():
        assert advice.dosing.params.get(k) == v, advice.dosing.params
    assert set(fired) <= set(advice.fired_rules()), advice.fired_rules()
    assert set(includes) <= set(advice.actions()), advice.actions()
    assert not advice.no_rule_applied


def test_every_new_rule_fires_in_a_vignette(rulebook):
    """Each rule added for the knowledge map is exercised (with its outcome) by a case above."""
    assert NEW_RULES <= set(rulebook.by_id)
    assert NEW_RULES - {r for c in CASES for r in c[4]} == set()


def test_cockcroft_gault_is_stated_as_an_assumption():
    advice = advise(adv(patient={"age": 80, "sex": "female", "weight_kg": 50}, labs={"creatinine": {"value": 1.4, "unit": "mg/dL"}},
                        imatinib=NOT_STARTED))
    # (140 - 80) x 50 / (72 x 1.4) x 0.85 = 25.3 mL/min
    patient = next(f for f in advice.facts if f.type == "patient")
    assert (patient.get("creatinine_clearance_ml_min"), patient.get("renal_impairment"), patient.get("crcl_source")) == (25.3, "moderate", "cockcroft_gault")
    assert any("Cockcroft-Gault" in w for w in advice.warnings)
    assert any(e.step == "assumption" and "Cockcroft-Gault" in e.data["text"] for e in advice.trace)


def test_measured_clearance_wins_over_the_estimate():
    advice = advise(adv(patient={"age": 80, "sex": "female", "weight_kg": 50, "creatinine_clearance_ml_min": 70},
                        labs={"creatinine": {"value": 1.4, "unit": "mg/dL"}}, imatinib=NOT_STARTED))
    assert (advice.dosing.action, advice.dosing.params["dose_mg"]) == ("rechallenge_imatinib", 400)
    assert not any("Cockcroft-Gault" in w for w in advice.warnings)


def test_creatinine_in_umol_is_converted_for_the_estimate():
    """124 umol/L = 1.40 mg/dL: the same estimate as in mg/dL."""
    advice = advise(adv(patient={"age": 80, "sex": "female", "weight_kg": 50}, labs={"creatinine": {"value": 124, "unit": "umol/L"}},
                        imatinib=NOT_STARTED))
    patient = next(f for f in advice.facts if f.type == "patient")
    assert patient.get("renal_impairment") == "moderate"


def test_restart_is_kept_within_the_renal_cap():
    """Counts recovered after grade 3 neutropenia on 800 mg/d: the label resumes the dose, but at CrCl 45 not above 600."""
    advice = advise(adv(patient={"creatinine_clearance_ml_min": 45}, imatinib=held(800),
                        labs={"anc": {"value": 2.0, "unit": "10^9/L"}, "platelets": {"value": 150, "unit": "10^9/L"}},
                        adverse_events=[{"term": "neutrophil_count_decreased", "grade": 3, "trend": "resolved"}]))
    assert (advice.dosing.action, advice.dosing.params["dose_mg"]) == ("rechallenge_imatinib", 600)
    assert any(e.step == "safety" and e.data.get("resolution") == "dose_cap" for e in advice.trace)


def test_step_up_plan_stops_below_a_dose_not_tolerated():
    """After a severe rash the plan steps back toward 400 mg, but 400 mg was not tolerated: it stops at 300."""
    advice = advise(adv(imatinib=held(400, not_tolerated_mg=[400]),
                        adverse_events=[{"term": "rash_maculopapular", "grade": 3, "trend": "resolved"}]))
    assert advice.dosing.action == "rechallenge_imatinib"
    assert advice.dosing.params["dose_mg"] <= 300
    assert all(step["dose_mg"] <= 300 for step in advice.dosing.params.get("titration", []))


# ---- one encoding, one advice: a grade 3 episode on the event or in history, in every area

AREA_TERMS = ["diarrhea", "vomiting", "bone_pain", "myalgia", "pneumonitis", "fatigue", "heart_failure", "hypothyroidism",
              "edema_limbs", "pleural_effusion", "gastrointestinal_hemorrhage", "rash_maculopapular"]


def _encodings(term: str) -> list[dict]:
    base = adv(imatinib=held())
    return [
        {**base, "adverse_events": [{"term": term, "grade": 3, "trend": "resolved"}]},
        {**base, "adverse_events": [{"term": term, "grade": 1, "trend": "improving"}], "history": [{"term": term, "grade": 3, "dose_mg": 400}]},
        {**base, "history": [{"term": term, "grade": 3, "dose_mg": 400}]},
    ]


@pytest.mark.parametrize("term", AREA_TERMS)
def test_grade_3_episode_encodings_give_one_advice(term):
    """docs/encoding.md: the three ways to write a recovered grade 3 episode decide the same restart."""
    decisions = {(a.dosing.action, a.dosing.params.get("dose_mg")) for a in map(advise, _encodings(term))}
    assert len(decisions) == 1, decisions
    (action, dose), = decisions
    assert action == "rechallenge_imatinib" and dose is not None and dose < 400, decisions


@pytest.mark.parametrize("term", AREA_TERMS)
def test_grade_2_episode_resolved_restarts_at_or_below_the_dose(term):
    """A held-for grade 2 event now resolved always leads to a restart (never 'no rule')."""
    advice = advise(adv(imatinib=held(), adverse_events=[{"term": term, "grade": 2, "trend": "resolved"}]))
    assert advice.dosing.action == "rechallenge_imatinib", advice.dosing
    assert advice.dosing.params["dose_mg"] <= 400
    assert not advice.no_rule_applied
