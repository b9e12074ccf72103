"""The blind set (examples/blind/) replays, and the general rules its first run exposed hold on
states other than the ones in it (issue 11)."""

from __future__ import annotations

from advisor.evaluate import get_rulebook
from advisor.scenarios import run_batch
from conftest import ROOT, assert_advice

BLIND = ROOT / "examples" / "blind"
TAKING = {"status": "taking", "dose_mg": 400}


def test_the_blind_set_replays_with_no_failed_step():
    """Every step of the 74 written from the sources alone passes; none fails to load."""
    result = run_batch([BLIND], get_rulebook())
    failed = [f"{r.case} {r.step}: {r.problems}" for r in result.results if r.result == "fail"]
    assert result.summary["steps"] >= 70 and not failed and result.summary["errors"] == 0, failed


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
    """Grade 3 ALT with INR 2.4: on warfarin a hold and workup; without warfarin acute liver failure."""
    base = {"indication": "metastatic", "imatinib": TAKING, "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "new"}],
            "labs": {"alt": {"value": 300, "uln": 40}, "inr": {"value": 2.4}}}
    assert_advice({**base, "co_medications": [{"drug": "warfarin", "dose_mg": 5, "class": "warfarin"}]},
                  dosing="interrupt_imatinib", excludes=("discontinue_imatinib", "hospital_admission"))
    assert_advice(base, dosing="discontinue_imatinib", includes=("hospital_admission",))


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
