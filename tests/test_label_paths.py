"""The label's hepatotoxicity and hematologic paths through the bundled rulebook, as vignettes."""

from __future__ import annotations

import pytest

from tests.conftest import assert_advice


def taking(dose_mg: int = 400) -> dict:
    return {"status": "taking", "dose_mg": dose_mg, "schedule": "twice_daily" if dose_mg == 800 else "daily"}


def held(dose_mg: int = 400, days: int = 21) -> dict:
    return {"status": "interrupted", "dose_mg": dose_mg, "schedule": "twice_daily" if dose_mg == 800 else "daily",
            "days_interrupted": days}


# ---------------------------------------------------------------- hepatotoxicity

def test_alt_6x_uln_interrupts():
    """ALT 6 x ULN (grade 3) while taking 400 mg: withhold imatinib, citing the label."""
    advice = assert_advice({"imatinib": taking(), "labs": {"alt": {"value": 240, "uln": 40}}},
                           dosing="interrupt_imatinib", includes=("monitor_labs", "hepatic_workup"),
                           excludes=("continue_imatinib",), cites=("label-hepatotoxicity",))
    assert "label-hepatotoxicity" in advice.dosing.evidence
    assert advice.dosing.params["until"] == "bilirubin < 1.5 x ULN and ALT/AST < 2.5 x ULN"


@pytest.mark.parametrize("labs", [
    {"ast": {"value": 250, "uln": 40}},
    {"bilirubin_total": {"value": 3.7, "uln": 1.2}, "alt": {"value": 50, "uln": 40}},
])
def test_ast_or_bilirubin_above_withholding_threshold_interrupts(labs):
    """AST > 5 x ULN or bilirubin > 3 x ULN also withholds imatinib."""
    assert_advice({"imatinib": taking(), "labs": labs}, dosing="interrupt_imatinib", cites=("label-hepatotoxicity",))


@pytest.mark.parametrize(("alt", "grade"), [(41, 1), (120, 1), (121, 2), (200, 2)])
def test_grade_1_2_transaminase_continues_and_monitors(alt, grade):
    """ALT grade 1-2 (up to 5 x ULN inclusive): continue at the current dose and monitor liver tests weekly."""
    advice = assert_advice({"imatinib": taking(), "labs": {"alt": {"value": alt, "uln": 40}}},
                           dosing="continue_imatinib", dose_mg=400, includes=("monitor_labs",),
                           excludes=("interrupt_imatinib",), cites=("label-hepatotoxicity",))
    assert advice.derived[0].grade == grade
    monitor = next(r for r in advice.recommendations if r.action == "monitor_labs")
    assert monitor.params["interval_days"] == 7


def test_alt_just_above_5x_uln_interrupts():
    """ALT 201 U/L with ULN 40 (just above 5 x ULN) is grade 3: withhold."""
    assert_advice({"imatinib": taking(), "labs": {"alt": {"value": 201, "uln": 40}}}, dosing="interrupt_imatinib")


def _recovered_liver(dose_mg: int, alt: float = 80, bili: float = 1.0) -> dict:
    return {"imatinib": held(dose_mg),
            "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "resolved"}],
            "labs": {"alt": {"value": alt, "uln": 40}, "bilirubin_total": {"value": bili, "uln": 1.2}}}


@pytest.mark.parametrize(("previous", "restart"), [(400, 300), (600, 400), (800, 600)])
def test_liver_recovered_rechallenges_one_level_lower(previous, restart):
    """After grade 3 hepatotoxicity, ALT < 2.5 x ULN and bilirubin < 1.5 x ULN: restart reduced (400->300, 600->400, 800->600)."""
    assert_advice(_recovered_liver(previous), dosing="rechallenge_imatinib", dose_mg=restart,
                  includes=("monitor_labs",), cites=("label-hepatotoxicity",))


@pytest.mark.parametrize(("alt", "bili"), [(100, 1.0), (80, 1.8)])
def test_liver_not_recovered_keeps_holding(alt, bili):
    """ALT exactly 2.5 x ULN or bilirubin 1.5 x ULN is not below the resume thresholds: keep holding."""
    assert_advice(_recovered_liver(400, alt, bili), dosing="interrupt_imatinib",
                  excludes=("rechallenge_imatinib",), cites=("label-hepatotoxicity",))


def test_stated_grade_4_alt_is_graded_3_and_still_withheld():
    """A report's 'grade 4' ALT of 470 U/L is CTCAE grade 3; the advice withholds and warns about the disagreement."""
    advice = assert_advice({"imatinib": taking(), "labs": {"alt": {"value": 470, "uln": 40}},
                            "adverse_events": [{"term": "alt_increased", "grade": 4, "trend": "new"}]},
                           dosing="interrupt_imatinib")
    assert any("stated grade 4" in w and "grade 3" in w for w in advice.warnings)


# ---------------------------------------------------------------- hematologic

def test_anc_below_1_interrupts():
    """ANC 0.8 x 10^9/L (grade 3): stop until ANC >= 1.5 and platelets >= 75."""
    advice = assert_advice({"imatinib": taking(), "labs": {"anc": {"value": 0.8}}},
                           dosing="interrupt_imatinib", includes=("monitor_labs",), cites=("label-hematologic",))
    assert advice.dosing.params["until"] == "ANC >= 1.5 x 10^9/L and platelets >= 75 x 10^9/L"


def test_platelets_below_50_interrupt():
    """Platelets 40 x 10^9/L (grade 3): stop imatinib."""
    assert_advice({"imatinib": taking(), "labs": {"platelets": {"value": 40}}},
                  dosing="interrupt_imatinib", cites=("label-hematologic",))


@pytest.mark.parametrize("labs", [{"anc": {"value": 1.2}}, {"anc": {"value": 1.0}}, {"platelets": {"value": 60}}])
def test_grade_1_2_cytopenia_continues(labs):
    """ANC 1.0-1.5 or platelets 50-75 (grade 2): continue at the current dose and monitor counts."""
    assert_advice({"imatinib": taking(), "labs": labs}, dosing="continue_imatinib", dose_mg=400,
                  includes=("monitor_labs",), excludes=("interrupt_imatinib",), cites=("label-hematologic",))


def test_counts_recovered_first_episode_resumes_at_previous_dose():
    """Held for neutropenia, ANC >= 1.5 and platelets >= 75, no earlier episode: restart at the previous 400 mg."""
    assert_advice({"imatinib": held(), "labs": {"anc": {"value": 1.6}, "platelets": {"value": 80}}},
                  dosing="rechallenge_imatinib", dose_mg=400, cites=("label-hematologic",))


def test_counts_recovered_exactly_at_thresholds_resume():
    """ANC exactly 1.5 and platelets exactly 75 meet the '>=' resume criteria."""
    assert_advice({"imatinib": held(), "labs": {"anc": {"value": 1.5}, "platelets": {"value": 75}}},
                  dosing="rechallenge_imatinib", dose_mg=400)


def test_counts_recovered_after_recurrence_resumes_one_level_lower():
    """After a grade 3 neutropenia that recurred on rechallenge, recovered counts restart one level
    lower (400 -> 300). A history entry alone is the held-for episode (docs/encoding.md): that first
    episode resumes the previous dose, as the label says."""
    assert_advice({"imatinib": held(), "labs": {"anc": {"value": 1.6}, "platelets": {"value": 80}},
                   "history": [{"term": "neutrophil_count_decreased", "grade": 3, "dose_mg": 400, "outcome": "recurred_on_rechallenge"}]},
                  dosing="rechallenge_imatinib", dose_mg=300, cites=("label-hematologic",))
    assert_advice({"imatinib": held(), "labs": {"anc": {"value": 1.6}, "platelets": {"value": 80}},
                   "history": [{"term": "neutrophil_count_decreased", "grade": 3, "dose_mg": 400, "outcome": "resolved"}]},
                  dosing="rechallenge_imatinib", dose_mg=400, cites=("label-hematologic",))


@pytest.mark.parametrize("labs", [
    {"anc": {"value": 1.2}, "platelets": {"value": 80}},
    {"anc": {"value": 1.6}, "platelets": {"value": 70}},
])
def test_counts_not_recovered_keep_holding(labs):
    """ANC < 1.5 or platelets < 75 while held: keep holding."""
    assert_advice({"imatinib": held(), "labs": labs}, dosing="interrupt_imatinib",
                  excludes=("rechallenge_imatinib",), cites=("label-hematologic",))


def test_febrile_neutropenia_bundle():
    """ANC 0.15 with 38.6 C: interrupt, admit, empiric antibiotics and G-CSF."""
    advice = assert_advice({"imatinib": taking(), "labs": {"anc": {"value": 0.15}, "temperature_c": {"value": 38.6}}},
                           dosing="interrupt_imatinib",
                           includes=("hospital_admission", "empiric_antibiotics", "g_csf"),
                           cites=("label-hematologic",))
    assert ("febrile_neutropenia", 3) in [(d.term, d.grade) for d in advice.derived]


def test_fever_38_2_with_neutropenia_is_not_the_febrile_bundle():
    """ANC 0.8 with 38.2 C: withhold for neutropenia, warn about sustained fever, but no febrile bundle."""
    advice = assert_advice({"imatinib": taking(), "labs": {"anc": {"value": 0.8}, "temperature_c": {"value": 38.2}}},
                           dosing="interrupt_imatinib", excludes=("hospital_admission", "empiric_antibiotics"))
    assert any("sustained >= 38.0 C" in w for w in advice.warnings)
