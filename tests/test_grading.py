"""CTCAE v5 grading of lab values at every boundary (NCI CTCAE v5.0, 2017)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from advisor.facts import build_facts
from advisor.grading import grade_labs
from tests.conftest import advise, state_of

TAKING = {"status": "taking", "dose_mg": 400}


def grading_of(labs: dict, **extra):
    return grade_labs(state_of({"imatinib": TAKING, "labs": labs, **extra}))


def grade(labs: dict, term: str) -> int | None:
    g = grading_of(labs).grade_of(term)
    return None if g is None else g.grade


def _times(t: str, ref: str) -> float:
    """t x ref computed in decimal, so the test value is exactly on the boundary as written."""
    return float(Decimal(t) * Decimal(ref))


def _boundaries(thresholds: tuple[str, ...], refs: tuple[str, ...]):
    """(ref, value, expected) at and just above each strict '>' boundary."""
    for ref in refs:
        for i, t in enumerate(thresholds):
            yield ref, _times(t, ref), i  # exactly t x ref: still the lower grade
            yield ref, _times(t, ref) * 1.001, i + 1  # just above: the next grade


# CTCAE v5 rise thresholds in multiples of ULN: grade g is "> t[g-1] x ULN".
RISE = {
    ("alt", "alt_increased"): ("1", "3", "5", "20"),
    ("ast", "ast_increased"): ("1", "3", "5", "20"),
    ("bilirubin_total", "blood_bilirubin_increased"): ("1", "1.5", "3", "10"),
    ("alp", "alkaline_phosphatase_increased"): ("1", "2.5", "5", "20"),
    ("creatinine", "creatinine_increased"): ("1", "1.5", "3", "6"),
}
# ULNs chosen to include ones where t x ULN is not exact in binary (0.7 x 3 = 2.1000000000000001).
RISE_ULNS = {"alt": ("40", "33", "56"), "ast": ("40", "35"), "bilirubin_total": ("1.2", "0.7", "1.1"),
             "alp": ("120", "129"), "creatinine": ("1.2", "0.7", "1.3")}
RISE_CASES = [
    pytest.param(analyte, term, ref, value, expected, id=f"{analyte}-uln{ref}-{value:g}")
    for (analyte, term), steps in RISE.items()
    for ref, value, expected in _boundaries(steps, RISE_ULNS[analyte])
]


@pytest.mark.parametrize(("analyte", "term", "uln", "value", "expected"), RISE_CASES)
def test_rise_grade_at_each_uln_boundary(analyte, term, uln, value, expected):
    """A rise exactly at a CTCAE multiple of ULN keeps the lower grade; just above it is the next."""
    assert grade({analyte: {"value": value, "uln": float(uln)}}, term) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (40, 0), (40.4, 1), (120, 1), (120.4, 2), (200, 2), (200.4, 3), (800, 3), (800.4, 4),
])
def test_alt_boundaries_with_default_uln(value, expected):
    """ALT with no ULN is graded on the documented 40 U/L: exactly 3.0 x ULN is grade 1."""
    assert grade({"alt": {"value": value, "unit": "U/L"}}, "alt_increased") == expected


def test_float_noise_does_not_raise_a_grade():
    """Creatinine 2.1 with ULN 0.7 is exactly 3 x ULN (grade 2), though 2.1/0.7 > 3 in binary floating point."""
    assert grade({"creatinine": {"value": 2.1, "uln": 0.7}}, "creatinine_increased") == 2
    assert grade({"bilirubin_total": {"value": 1.05, "uln": 0.7}}, "blood_bilirubin_increased") == 1


# Decreased analytes: grade 1 below LLN, then grade g when value < threshold (strict '<').
FALL_CASES = [
    # anc, LLN 2.0: < LLN - 1.5 | < 1.5 - 1.0 | < 1.0 - 0.5 | < 0.5
    ("anc", "neutrophil_count_decreased", 2.0, 2.0, 0), ("anc", "neutrophil_count_decreased", 2.0, 1.99, 1),
    ("anc", "neutrophil_count_decreased", 2.0, 1.5, 1), ("anc", "neutrophil_count_decreased", 2.0, 1.49, 2),
    ("anc", "neutrophil_count_decreased", 2.0, 1.0, 2), ("anc", "neutrophil_count_decreased", 2.0, 0.99, 3),
    ("anc", "neutrophil_count_decreased", 2.0, 0.5, 3), ("anc", "neutrophil_count_decreased", 2.0, 0.49, 4),
    # platelets, LLN 150: < LLN - 75 | < 75 - 50 | < 50 - 25 | < 25
    ("platelets", "platelet_count_decreased", 150, 150, 0), ("platelets", "platelet_count_decreased", 150, 149, 1),
    ("platelets", "platelet_count_decreased", 150, 75, 1), ("platelets", "platelet_count_decreased", 150, 74.9, 2),
    ("platelets", "platelet_count_decreased", 150, 50, 2), ("platelets", "platelet_count_decreased", 150, 49.9, 3),
    ("platelets", "platelet_count_decreased", 150, 25, 3), ("platelets", "platelet_count_decreased", 150, 24.9, 4),
    # wbc, LLN 4.0: < LLN - 3.0 | < 3.0 - 2.0 | < 2.0 - 1.0 | < 1.0
    ("wbc", "white_blood_cell_decreased", 4.0, 4.0, 0), ("wbc", "white_blood_cell_decreased", 4.0, 3.9, 1),
    ("wbc", "white_blood_cell_decreased", 4.0, 3.0, 1), ("wbc", "white_blood_cell_decreased", 4.0, 2.99, 2),
    ("wbc", "white_blood_cell_decreased", 4.0, 2.0, 2), ("wbc", "white_blood_cell_decreased", 4.0, 1.99, 3),
    ("wbc", "white_blood_cell_decreased", 4.0, 1.0, 3), ("wbc", "white_blood_cell_decreased", 4.0, 0.99, 4),
    # hemoglobin, LLN 12: < LLN - 10.0 | < 10.0 - 8.0 | < 8.0; grade 4 is clinical, never from the value
    ("hemoglobin", "anemia", 12, 12, 0), ("hemoglobin", "anemia", 12, 11.9, 1),
    ("hemoglobin", "anemia", 12, 10.0, 1), ("hemoglobin", "anemia", 12, 9.9, 2),
    ("hemoglobin", "anemia", 12, 8.0, 2), ("hemoglobin", "anemia", 12, 7.9, 3),
    ("hemoglobin", "anemia", 12, 3.0, 3),
]


@pytest.mark.parametrize(("analyte", "term", "lln", "value", "expected"), FALL_CASES)
def test_fall_grade_at_each_boundary(analyte, term, lln, value, expected):
    """A count exactly at a CTCAE threshold keeps the milder grade; just below it is the next."""
    assert grade({analyte: {"value": value, "lln": lln}}, term) == expected


@pytest.mark.parametrize(("analyte", "term", "value", "expected"), [
    ("anc", "neutrophil_count_decreased", 1.5, 0), ("anc", "neutrophil_count_decreased", 1.49, 2),
    ("platelets", "platelet_count_decreased", 150, 0), ("platelets", "platelet_count_decreased", 149, 1),
    ("wbc", "white_blood_cell_decreased", 4.0, 0), ("wbc", "white_blood_cell_decreased", 3.99, 1),
    ("hemoglobin", "anemia", 12.0, 0), ("hemoglobin", "anemia", 11.99, 1),
])
def test_fall_with_default_lln(analyte, term, value, expected):
    """Without an LLN the documented default (ANC 1.5, platelets 150, WBC 4.0, Hb 12) sets grade 0 vs 1."""
    assert grade({analyte: {"value": value}}, term) == expected


@pytest.mark.parametrize(("labs", "expected"), [
    ({"eosinophils": {"value": 0.5, "uln": 0.5}}, 0),
    ({"eosinophils": {"value": 0.51, "uln": 0.5}}, 1),
    ({"eosinophils": {"value": 0.7, "uln": 0.5, "baseline": 0.8}}, 0),
    ({"eosinophils": {"value": 0.9, "uln": 0.5, "baseline": 0.8}}, 1),
    ({"eosinophils": {"value": 1.25}}, 1),
])
def test_eosinophilia_needs_above_uln_and_baseline(labs, expected):
    """Eosinophilia grade 1 is '> ULN and > baseline'; neither alone is enough."""
    assert grade(labs, "eosinophilia") == expected


# Abnormal baseline (baseline > ULN): v5 grades liver tests on multiples of baseline.
BASELINE_CASES = [
    # ALT/AST grade 1 is 1.5 - 3.0 x baseline (inclusive), then > 3, > 5, > 20
    ("alt", "alt_increased", 40, 80, 119.9, 0), ("alt", "alt_increased", 40, 80, 120, 1),
    ("alt", "alt_increased", 40, 80, 240, 1), ("alt", "alt_increased", 40, 80, 241, 2),
    ("alt", "alt_increased", 40, 80, 400, 2), ("alt", "alt_increased", 40, 80, 401, 3),
    ("alt", "alt_increased", 40, 80, 1600, 3), ("alt", "alt_increased", 40, 80, 1601, 4),
    ("ast", "ast_increased", 40, 60, 90, 1), ("ast", "ast_increased", 40, 60, 89, 0),
    # bilirubin grade 1 is > 1.0 - 1.5 x baseline, then > 1.5, > 3, > 10
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 2.0, 0),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 2.01, 1),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 3.0, 1),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 3.01, 2),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 6.0, 2),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 6.01, 3),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 20.0, 3),
    ("bilirubin_total", "blood_bilirubin_increased", 1.2, 2.0, 20.1, 4),
    # ALP grade 1 is 2.0 - 2.5 x baseline (inclusive), then > 2.5, > 5, > 20
    ("alp", "alkaline_phosphatase_increased", 120, 200, 399, 0),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 400, 1),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 500, 1),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 501, 2),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 1000, 2),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 1001, 3),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 4000, 3),
    ("alp", "alkaline_phosphatase_increased", 120, 200, 4001, 4),
]


@pytest.mark.parametrize(("analyte", "term", "uln", "baseline", "value", "expected"), BASELINE_CASES)
def test_abnormal_baseline_grades_on_multiples_of_baseline(analyte, term, uln, baseline, value, expected):
    """With an abnormal baseline, liver tests are graded on multiples of the baseline."""
    g = grading_of({analyte: {"value": value, "uln": uln, "baseline": baseline}}).grade_of(term)
    assert (g.grade, "x baseline" in g.basis) == (expected, True)


def test_normal_baseline_grades_on_uln():
    """A baseline at or below ULN is normal: grading stays on multiples of ULN."""
    g = grading_of({"alt": {"value": 130, "uln": 40, "baseline": 40}}).grade_of("alt_increased")
    assert (g.grade, "x ULN" in g.basis) == (2, True)


@pytest.mark.parametrize(("anc", "temp", "febrile"), [
    (0.9, 38.4, True), (0.15, 38.6, True), (0.9, 38.3, False), (1.0, 39.5, False), (0.9, 37.9, False),
])
def test_febrile_neutropenia_needs_anc_below_1_and_temperature_above_38_3(anc, temp, febrile):
    """Febrile neutropenia is derived (grade 3) only from ANC < 1.0 with a temperature > 38.3 C."""
    g = grading_of({"anc": {"value": anc}, "temperature_c": {"value": temp}}).grade_of("febrile_neutropenia")
    assert (g is not None and g.grade == 3) == febrile


def test_febrile_neutropenia_from_fahrenheit():
    """A temperature in degF is converted before the febrile threshold is applied (101.3 F = 38.5 C)."""
    g = grading_of({"anc": {"value": 0.5}, "temperature_c": {"value": 101.3, "unit": "degF"}}).grade_of("febrile_neutropenia")
    assert g is not None and g.grade == 3


@pytest.mark.parametrize("temp", [38.0, 38.3])
def test_temperature_38_0_to_38_3_warns_without_deriving(temp):
    """38.0-38.3 C with ANC < 1.0 is a warning about sustained fever, not a derived febrile neutropenia."""
    grading = grading_of({"anc": {"value": 0.8}, "temperature_c": {"value": temp}})
    assert grading.grade_of("febrile_neutropenia") is None
    assert any("sustained >= 38.0 C for an hour" in w for w in grading.warnings), grading.warnings


def test_no_fever_warning_below_38():
    """A temperature below 38.0 C with neutropenia gives no fever warning."""
    grading = grading_of({"anc": {"value": 0.8}, "temperature_c": {"value": 37.9}})
    assert not any("febrile" in w for w in grading.warnings)


@pytest.mark.parametrize(("labs", "warning"), [
    ({"alt": {"value": 50}}, "ULN for alt assumed 40 U/L"),
    ({"ast": {"value": 50}}, "ULN for ast assumed 40 U/L"),
    ({"alp": {"value": 50}}, "ULN for alp assumed 120 U/L"),
    ({"bilirubin_total": {"value": 1.0}}, "ULN for bilirubin_total assumed 1.2 mg/dL"),
    ({"creatinine": {"value": 1.0}}, "ULN for creatinine assumed 1.2 mg/dL"),
    ({"eosinophils": {"value": 0.2}}, "ULN for eosinophils assumed 0.5 10^9/L"),
    ({"anc": {"value": 3.0}}, "LLN for anc assumed 1.5 10^9/L"),
    ({"platelets": {"value": 200}}, "LLN for platelets assumed 150 10^9/L"),
    ({"wbc": {"value": 5}}, "LLN for wbc assumed 4 10^9/L"),
    ({"hemoglobin": {"value": 13}}, "LLN for hemoglobin assumed 12 g/dL"),
    ({"alt": {"value": 1.0, "unit": "ukat/L"}}, "ULN for alt assumed 40 U/L"),
])
def test_default_reference_limit_is_stated(labs, warning):
    """A missing ULN/LLN uses the documented default and says so in Grading.warnings."""
    assert warning in grading_of(labs).warnings


@pytest.mark.parametrize("labs", [
    {"alt": {"value": 50, "unit": "U/L", "uln": 35}}, {"anc": {"value": 3.0, "unit": "10^9/L", "lln": 1.8}},
    {"hemoglobin": {"value": 13, "unit": "g/dL", "lln": 13.5}},
])
def test_given_reference_limit_is_not_assumed(labs):
    """When the state gives the reference limit, nothing is assumed."""
    assert grading_of(labs).warnings == ()


def test_default_assumption_reaches_the_advice():
    """The ULN assumption appears in the evaluation's warnings, not only in the grading."""
    advice = advise({"imatinib": TAKING, "labs": {"alt": {"value": 393}}})
    assert "ULN for alt assumed 40 U/L" in advice.warnings


def test_derived_basis_names_the_multiple():
    """The derived grade says what it came from (value and multiple of ULN)."""
    g = grading_of({"alt": {"value": 393, "uln": 40}}).grade_of("alt_increased")
    assert (g.grade, g.basis) == (3, "alt 393 U/L = 9.82 x ULN")


def _ae_facts(state_data: dict, rulebook):
    state = state_of(state_data)
    facts, warnings = build_facts(state, grade_labs(state), rulebook.ladder, rulebook.standard_mg)
    return [f for f in facts if f.type == "ae"], warnings


def test_stated_grade_above_the_lab_grade_of_a_value_defined_term_gives_way_with_a_warning(rulebook):
    """ALT 470 U/L stated as grade 4 is CTCAE v5 grade 3 (11.75 x ULN): CTCAE grades ALT by the
    value alone, so grade 3 decides today, and the disagreement is said."""
    state = {"imatinib": TAKING, "labs": {"alt": {"value": 470, "uln": 40}},
             "adverse_events": [{"term": "alt_increased", "grade": 4, "trend": "new"}]}
    aes, warnings = _ae_facts(state, rulebook)
    assert [(f.get("grade"), f.get("stated_grade"), f.get("source")) for f in aes] == [(3, 4, "stated_and_lab")]
    assert grade_labs(state_of(state)).grade_of("alt_increased").grade == 3
    assert len(warnings) == 1 and "stated grade 4" in warnings[0] and "the value decides (grade 3)" in warnings[0]


def test_stated_grade_agreeing_with_lab_gives_no_warning(rulebook):
    """A stated grade that matches the lab grade is not reported as a disagreement."""
    _, warnings = _ae_facts({"imatinib": TAKING, "labs": {"alt": {"value": 470, "uln": 40}},
                             "adverse_events": [{"term": "alt_increased", "grade": 3}]}, rulebook)
    assert warnings == []


def test_lab_only_event_is_asserted_from_the_value(rulebook):
    """A lab value above grade 0 with no stated event becomes an active lab-sourced event."""
    aes, _ = _ae_facts({"imatinib": TAKING, "labs": {"anc": {"value": 0.8}}}, rulebook)
    assert [(f.get("term"), f.get("grade"), f.get("source"), f.get("active")) for f in aes] == [
        ("neutrophil_count_decreased", 3, "lab", True)]


def test_grade_zero_lab_is_not_an_event(rulebook):
    """A normal lab value asserts no adverse event."""
    aes, _ = _ae_facts({"imatinib": TAKING, "labs": {"alt": {"value": 30, "uln": 40}}}, rulebook)
    assert aes == []


def test_disagreement_reaches_the_advice():
    """The stated-vs-lab disagreement is one of the evaluation's warnings and the derived grade is 3."""
    advice = advise({"imatinib": TAKING, "labs": {"alt": {"value": 470, "uln": 40}},
                     "adverse_events": [{"term": "alt_increased", "grade": 4}]})
    assert any(w.startswith("alt_increased: stated grade 4") for w in advice.warnings), advice.warnings
    assert [(d.term, d.grade) for d in advice.derived] == [("alt_increased", 3)]
