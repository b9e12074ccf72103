"""Issue 12, patient safety: what the state says about an event never hides today's lab, a lab
below the stated grade never silently erases the event, and mistaken inputs are refused or said.

Each test reproduces a finding that gave unsafe or silent advice before the fix.
"""

from __future__ import annotations

import pytest

from advisor.errors import InputError

from conftest import advise, assert_advice, state_of

TAKING = {"status": "taking", "dose_mg": 400}


def _ae(advice, term):
    return next(f for f in advice.facts if f.type == "ae" and f.get("term") == term)


@pytest.mark.parametrize(("term", "labs"), [
    ("alt_increased", {"alt": {"value": 900, "unit": "U/L", "uln": 40}}),
    ("neutrophil_count_decreased", {"anc": {"value": 0.3, "unit": "10^9/L"}}),
    ("blood_bilirubin_increased", {"bilirubin_total": {"value": 15.0, "unit": "mg/dL", "uln": 1.2}}),
])
def test_a_resolved_entry_does_not_mask_todays_lab(term, labs):
    """ALT 900 U/L, ANC 0.3 or bilirubin 12.5 x ULN beside a 'resolved' grade 3 entry hold imatinib."""
    advice = assert_advice({"imatinib": TAKING, "adverse_events": [{"term": term, "grade": 3, "trend": "resolved"}], "labs": labs},
                           excludes=("continue_imatinib", "escalate_dose"))
    assert advice.dosing.action in ("interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib")
    fact = _ae(advice, term)
    assert fact.get("active") is True and fact.get("grade") >= 3
    assert any(term in w and "stated as resolved" in w for w in advice.warnings), advice.warnings


def test_a_resolved_entry_with_a_grade_1_lab_stays_resolved():
    """ALT 1.2 x ULN beside a resolved grade 3 entry is the recovered episode: no warning, not active."""
    advice = advise({"imatinib": {"status": "interrupted", "dose_mg": 400, "days_interrupted": 30},
                     "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "resolved"}],
                     "labs": {"alt": {"value": 48, "unit": "U/L", "uln": 40}}})
    fact = _ae(advice, "alt_increased")
    assert (fact.get("active"), fact.get("grade"), fact.get("worst_grade")) == (False, 1, 3)
    assert not [w for w in advice.warnings if "alt_increased" in w]


def test_a_value_defined_term_takes_the_values_grade_both_ways():
    """ALT is graded by the value alone: a new entry charted grade 3 with ALT 4.75 x ULN (grade 2)
    is grade 2 (below the label's 5 x ULN hold), and the disagreement is said."""
    advice = assert_advice({"imatinib": TAKING, "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "new"}],
                            "labs": {"alt": {"value": 190, "unit": "U/L", "uln": 40}}},
                           dosing="continue_imatinib")
    assert _ae(advice, "alt_increased").get("grade") == 2
    assert any("stated grade 3" in w and "the value decides" in w for w in advice.warnings), advice.warnings


def test_a_current_stated_grade_above_the_lab_decides_where_ctcae_has_a_clinical_arm():
    """Anemia grade 4 is "life-threatening consequences": a clinician's grade 4 over a grade 3
    hemoglobin stands (the worse decides), and is said."""
    advice = advise({"imatinib": TAKING, "adverse_events": [{"term": "anemia", "grade": 4, "trend": "new"}],
                     "labs": {"hemoglobin": {"value": 7.5, "unit": "g/dL"}}})
    assert _ae(advice, "anemia").get("grade") == 4
    assert advice.dosing.action in ("interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib")
    assert any("stated grade 4" in w and "the worse (grade 4) decides" in w for w in advice.warnings), advice.warnings


def test_an_improving_peak_with_a_recovered_lab_keeps_the_episode_and_says_so():
    """A grade 3 episode written as improving, with today's lab at grade 1: the episode's worst
    stays 3 (the restart is one level lower) and the disagreement is a warning, not silence."""
    advice = advise({"imatinib": {"status": "interrupted", "dose_mg": 400, "days_interrupted": 28},
                     "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "improving"}],
                     "labs": {"alt": {"value": 80, "unit": "U/L", "uln": 40}, "ast": {"value": 50, "unit": "U/L", "uln": 40},
                              "bilirubin_total": {"value": 0.9, "unit": "mg/dL", "uln": 1.2}}})
    fact = _ae(advice, "alt_increased")
    assert (fact.get("grade"), fact.get("worst_grade")) == (1, 3)
    assert any("stated grade 3 (improving)" in w for w in advice.warnings), advice.warnings
    assert advice.dosing.action == "rechallenge_imatinib" and advice.dosing.params["dose_mg"] == 300


def _refused(data: dict) -> InputError:
    with pytest.raises(InputError) as info:
        state_of(data)
    return info.value


def test_direct_bilirubin_above_total_is_refused():
    """Direct bilirubin is part of the total; a larger direct value is a slip, refused at its key path."""
    err = _refused({"imatinib": TAKING, "labs": {"bilirubin_total": {"value": 1.0, "unit": "mg/dL"},
                                                 "bilirubin_direct": {"value": 2.5, "unit": "mg/dL"}}})
    assert err.location.path == "labs.bilirubin_direct.value" and "part of the total" in err.message


def test_the_same_event_twice_is_refused():
    """Two entries for one term would let the milder one speak for the event."""
    err = _refused({"imatinib": TAKING, "adverse_events": [{"term": "diarrhea", "grade": 1}, {"term": "diarrhea", "grade": 3}]})
    assert err.location.path == "adverse_events[1].term" and "diarrhea is listed twice" in err.message


def test_an_impossible_corticosteroid_dose_is_refused():
    """Prednisolone 10,000 mg/d is a slip (a unit or a zero), not a regimen."""
    err = _refused({"imatinib": TAKING, "co_medications": [{"drug": "prednisolone", "dose_mg": 10_000, "class": "systemic_corticosteroid"}]})
    assert err.location.path.startswith("co_medications[0]") and "above any systemic corticosteroid dose" in err.message


def test_risk_outside_the_adjuvant_setting_is_said_and_ignored():
    """Recurrence risk decides adjuvant therapy only; given for metastatic disease it is a warning."""
    advice = advise({"indication": "metastatic", "risk": "high", "imatinib": TAKING})
    assert any("risk 'high'" in w and "ignored" in w for w in advice.warnings), advice.warnings
    assert advice.facts[0].get("risk") is None


def test_febrile_neutropenia_against_the_measured_values_is_said():
    """Febrile neutropenia stated with a normal ANC and temperature is kept (the clinician saw the
    patient) but both contradictions are warnings."""
    advice = advise({"imatinib": TAKING, "adverse_events": [{"term": "febrile_neutropenia", "grade": 3}],
                     "labs": {"anc": {"value": 3.2, "unit": "10^9/L"}, "temperature_c": {"value": 36.8, "unit": "Cel"}}})
    text = " ".join(advice.warnings)
    assert "ANC 3.2" in text and "36.8" in text
    assert advice.dosing.action == "interrupt_imatinib"


def test_a_baseline_that_hides_a_large_rise_is_said():
    """ALT 2000 U/L (50 x ULN) with a baseline of 1990 grades 0 on baseline; never silently."""
    advice = advise({"imatinib": TAKING, "labs": {"alt": {"value": 2000, "unit": "U/L", "uln": 40, "baseline": 1990}}})
    assert any("50.0 x ULN" in w and "check the baseline" in w for w in advice.warnings), advice.warnings
