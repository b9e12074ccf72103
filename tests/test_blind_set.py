"""The blind set (examples/blind/) replays, and the general rules its first run exposed hold on
states other than the ones in it (issue 11)."""

from __future__ import annotations

from advisor.evaluate import get_rulebook
from advisor.scenarios import run_batch
from conftest import ROOT, assert_advice

BLIND = ROOT / "examples" / "blind"
BLIND2 = ROOT / "examples" / "blind2"
BLIND3 = ROOT / "examples" / "blind3"
TAKING = {"status": "taking", "dose_mg": 400}


def test_the_blind_set_replays_with_no_failed_step():
    """Every step of the 74 written from the sources alone passes; none fails to load."""
    result = run_batch([BLIND], get_rulebook())
    failed = [f"{r.case} {r.step}: {r.problems}" for r in result.results if r.result == "fail"]
    assert result.summary["steps"] >= 70 and not failed and result.summary["errors"] == 0, failed


def test_the_second_blind_set_replays_with_no_failed_step():
    """The 57 steps of the second round pass, or are deviations whose general-rule expectation holds."""
    result = run_batch([BLIND2], get_rulebook())
    failed = [f"{r.case} {r.step}: {r.problems}" for r in result.results if r.result == "fail"]
    assert result.summary["steps"] >= 50 and not failed and result.summary["errors"] == 0, failed


def test_severe_skin_reactions_that_allow_a_rechallenge_step_up_once_tolerated():
    """Back on 100 mg after a grade 3 erythema multiforme, clear of lesions: up one level, below the dose not tolerated."""
    assert_advice({"indication": "metastatic", "imatinib": {"status": "taking", "dose_mg": 100, "not_tolerated_mg": [400]},
                   "adverse_events": [{"term": "erythema_multiforme", "grade": 3, "trend": "resolved"}]},
                  dosing="escalate_dose", dose_mg=200)


def test_after_sjs_heals_advanced_disease_goes_to_second_line_and_adjuvant_stops():
    """SJS healed: sunitinib in advanced disease; in the adjuvant setting imatinib simply stops."""
    sjs = [{"term": "stevens_johnson_syndrome", "grade": 3, "trend": "resolved"}]
    assert_advice({"indication": "metastatic", "imatinib": {"status": "discontinued", "dose_mg": 400}, "adverse_events": sjs},
                  dosing="switch_to_sunitinib")
    assert_advice({"indication": "adjuvant", "imatinib": {"status": "discontinued", "dose_mg": 400}, "adverse_events": sjs},
                  dosing="discontinue_imatinib")


def test_severe_pneumonitis_is_admitted():
    """Grade 3 pneumonitis on imatinib: held, steroid and admission."""
    assert_advice({"indication": "metastatic", "imatinib": {"status": "taking", "dose_mg": 400},
                   "adverse_events": [{"term": "pneumonitis", "grade": 3, "trend": "new"}]},
                  dosing="interrupt_imatinib", includes=("hospital_admission",))


def test_the_third_blind_set_replays_with_no_failed_step():
    """The 61 steps of the third round pass, or are deviations whose general-rule expectation holds."""
    result = run_batch([BLIND3], get_rulebook())
    failed = [f"{r.case} {r.step}: {r.problems}" for r in result.results if r.result == "fail"]
    assert result.summary["steps"] >= 55 and not failed and result.summary["errors"] == 0, failed


def test_a_first_cytopenia_written_in_history_restarts_at_the_same_dose():
    """The held-for episode in history is not a recurrence (label: first episode resumes the previous
    dose); a recurrence on rechallenge resumes one level lower."""
    held = {"indication": "metastatic", "imatinib": {"status": "interrupted", "dose_mg": 400, "days_interrupted": 10},
            "labs": {"anc": {"value": 1.9}, "platelets": {"value": 90}}}
    first = [{"term": "neutrophil_count_decreased", "grade": 3, "dose_mg": 400, "outcome": "resolved"}]
    again = [{"term": "neutrophil_count_decreased", "grade": 3, "dose_mg": 400, "outcome": "recurred_on_rechallenge"}]
    assert_advice({**held, "history": first}, dosing="rechallenge_imatinib", dose_mg=400)
    assert_advice({**held, "history": again}, dosing="rechallenge_imatinib", dose_mg=300)


def test_moderate_weight_gain_continues_with_a_diuretic_and_severe_holds():
    """Weight gain grade 2: continue, diuretic, look at the heart; grade 3: hold."""
    state = {"indication": "metastatic", "imatinib": TAKING}
    assert_advice({**state, "adverse_events": [{"term": "weight_gain", "grade": 2, "trend": "new"}]},
                  dosing="continue_imatinib", includes=("diuretic", "cardiac_evaluation"))
    assert_advice({**state, "adverse_events": [{"term": "weight_gain", "grade": 3, "trend": "worsening"}]},
                  dosing="interrupt_imatinib", includes=("diuretic",))


def test_after_the_adjuvant_course_imatinib_stays_off():
    """Adjuvant imatinib already stopped, no evidence of disease: stay off and follow up."""
    assert_advice({"indication": "adjuvant", "risk": "high", "imatinib": {"status": "discontinued", "dose_mg": 400},
                   "response": {"status": "no_evidence_of_disease"}},
                  dosing="discontinue_imatinib", includes=("tumor_assessment",))


def test_a_severe_lab_event_without_a_label_rule_is_held_and_handed_to_the_clinician():
    """Isolated grade 3 ALP (liver metastases): held by the grade >= 3 default, and the clinician decides."""
    assert_advice({"indication": "metastatic", "imatinib": TAKING, "labs": {"alp": {"value": 900, "uln": 120}}},
                  dosing="interrupt_imatinib", includes=("clinician_review",))


def test_hys_law_needs_exposure_to_the_drug():
    """Abnormal liver tests before the first dose (known liver metastases) are not Hy's law: start."""
    assert_advice({"indication": "metastatic", "imatinib": {"status": "not_started", "dose_mg": 400},
                   "labs": {"alt": {"value": 150, "uln": 40, "baseline": 150}, "bilirubin_total": {"value": 2.9, "uln": 1.2, "baseline": 2.9}}},
                  dosing="rechallenge_imatinib", excludes=("interrupt_imatinib",))


def test_hys_law_on_treatment_still_holds():
    """The same pattern arising on imatinib is held (the rule still fires when exposed)."""
    assert_advice({"indication": "metastatic", "imatinib": TAKING,
                   "labs": {"alt": {"value": 150, "uln": 40}, "bilirubin_total": {"value": 2.9, "uln": 1.2}}},
                  dosing="interrupt_imatinib")


def test_inr_on_warfarin_is_not_liver_failure_but_without_it_is():
    """Grade 3 ALT with INR 2.4: on warfarin a hold and workup; without warfarin acute liver failure
    (held while treated in hospital with a steroid; re-exposure is decided after recovery)."""
    base = {"indication": "metastatic", "imatinib": TAKING, "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "new"}],
            "labs": {"alt": {"value": 300, "uln": 40}, "inr": {"value": 2.4}}}
    assert_advice({**base, "co_medications": [{"drug": "warfarin", "dose_mg": 5, "class": "warfarin"}]},
                  dosing="interrupt_imatinib", excludes=("discontinue_imatinib", "hospital_admission"))
    assert_advice(base, dosing="interrupt_imatinib", includes=("hospital_admission", "systemic_corticosteroid"))


def test_moderate_tumour_bleed_continues_and_drug_or_severe_bleed_holds():
    """Grade 2 bleeding from the tumour continues imatinib; not from the tumour, or grade 3, holds."""
    bleed = {"term": "gastrointestinal_hemorrhage", "grade": 2, "trend": "new"}
    state = {"indication": "unresectable", "imatinib": TAKING}
    assert_advice({**state, "adverse_events": [{**bleed, "attribution": "disease"}]}, dosing="continue_imatinib", dose_mg=400,
                  includes=("monitor_labs",))
    assert_advice({**state, "adverse_events": [{**bleed, "attribution": "drug"}]}, dosing="interrupt_imatinib")
    assert_advice({**state, "adverse_events": [{**bleed, "grade": 3, "attribution": "disease"}]}, dosing="interrupt_imatinib")


def test_low_trough_on_a_reduced_dose_steps_up_only_when_nothing_is_active():
    """200 mg/d with a trough < 1100: up to 300 mg/d; not while a grade 2 event runs, nor above a ceiling."""
    state = {"indication": "metastatic", "imatinib": {"status": "taking", "dose_mg": 200}, "findings": ["trough_below_1100"]}
    assert_advice(state, dosing="escalate_dose", dose_mg=300)
    assert_advice({**state, "adverse_events": [{"term": "diarrhea", "grade": 2, "trend": "stable"}]}, excludes=("escalate_dose",))
    assert_advice({**state, "history": [{"term": "rash_maculopapular", "grade": 3, "dose_mg": 300}]}, excludes=("escalate_dose",))


def test_severe_pneumonitis_resolved_asks_the_clinician():
    """After grade 3 pneumonitis resolves the restart is lower and the clinician weighs re-exposure."""
    advice = assert_advice({"indication": "metastatic", "imatinib": {"status": "interrupted", "dose_mg": 400, "days_interrupted": 30},
                            "adverse_events": [{"term": "pneumonitis", "grade": 3, "trend": "resolved"}]},
                           includes=("clinician_review",))
    assert advice.dosing.action in ("rechallenge_imatinib", "interrupt_imatinib")
    if advice.dosing.action == "rechallenge_imatinib":
        assert advice.dosing.params["dose_mg"] < 400
