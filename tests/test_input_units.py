"""Lab input as reports write it: other spellings of units, mixed-unit reference limits, missing units."""

from __future__ import annotations

import pytest

from advisor.errors import InputError
from advisor.grading import grade_labs
from advisor.units import normalise_unit, spell_unit
from conftest import state_of

BASE = {"imatinib": {"status": "taking", "dose_mg": 400}}


@pytest.mark.parametrize(("written", "analyte", "accepted"), [
    ("µmol/L", "bilirubin_total", "umol/L"), ("μmol/L", "bilirubin_total", "umol/L"), ("IU/l", "alt", "IU/L"),
    ("g/dl", "hemoglobin", "g/dL"), ("10^3/µL", "anc", "10^3/uL"), ("x10^9/L", "anc", "10^9/L"), ("F", "temperature_c", "degF"),
    ("°C", "temperature_c", "Cel"), ("u/l", "alt", "U/L"),
    # as clinicians and lab systems write them: giga per litre for counts, grams per litre for hemoglobin
    ("G/L", "anc", "G/L"), ("g/l", "hemoglobin", "g/L"), ("G/L", "platelets", "G/L"), ("10*9/L", "platelets", "10^9/L"),
    ("cells/mm3", "platelets", "cells/mm3"), ("cells/µL", "platelets", "cells/uL"), ("x 10^9 /L", "wbc", "10^9/L"),
    ("mEq/l", "potassium", "mEq/L"),
])
def test_common_spellings_of_a_unit_are_accepted(written, analyte, accepted):
    """A unit written with the micro sign, another case, spaces or a leading x reads as the
    accepted one for that analyte (G/L is giga per litre for a count, g/L grams for hemoglobin)."""
    assert spell_unit(analyte, normalise_unit(written)) == accepted


def test_counts_in_giga_per_litre_and_per_cubic_millimetre_grade_alike():
    """ANC 0.8 G/L and 800 cells/mm3 are the same count: both grade 3."""
    for lab in ({"value": 0.8, "unit": "G/L"}, {"value": 800, "unit": "cells/mm3"}):
        state = state_of({**BASE, "labs": {"anc": lab}})
        assert grade_labs(state).grade_of("neutrophil_count_decreased").grade == 3


def test_every_unknown_lab_key_is_reported_at_once_with_a_suggestion():
    """ALT and Neutrophils are both reported, each at its own key, with the key meant."""
    with pytest.raises(InputError) as info:
        state_of({**BASE, "labs": {"ALT": {"value": 50}, "Neutrophils": {"value": 1.2}, "plt": {"value": 90}}})
    text = str(info.value)
    for key, meant in (("ALT", "alt"), ("Neutrophils", "anc"), ("plt", "platelets")):
        assert f"labs.{key}: unknown lab '{key}' (did you mean '{meant}'?)" in text, text


def test_all_problems_of_a_state_come_in_one_round():
    """A bad status, a bad term and a bad unit are reported together, not one fix at a time."""
    with pytest.raises(InputError) as info:
        state_of({"imatinib": {"status": "takin", "dose_mg": 400}, "labs": {"alt": {"value": 50, "unit": "mmol"}},
                  "adverse_events": [{"term": "rash", "grade": 2}]})
    text = str(info.value)
    assert "3 problems" in text and "imatinib.status" in text and "adverse_events[0].term" in text and "labs.alt.unit" in text


def test_unknown_unit_is_left_for_the_error():
    """A unit that matches nothing is not guessed."""
    assert normalise_unit("furlongs") == "furlongs"


def test_micro_sign_bilirubin_grades_like_umol():
    """Bilirubin 60 µmol/L (ULN 20.5 µmol/L) is 2.9 x ULN: grade 2, as with 'umol/L'."""
    state = state_of({**BASE, "labs": {"bilirubin_total": {"value": 60, "unit": "µmol/L", "uln": 20.5}}})
    (grade,) = [g for g in grade_labs(state).grades if g.term == "blood_bilirubin_increased"]
    assert grade.grade == 2


@pytest.mark.parametrize(("lab", "fragment"), [
    ({"bilirubin_total": {"value": 20, "unit": "umol/L", "uln": 1.2}}, "bilirubin_total uln 1.2 umol/L is implausible as a reference limit (typically about 20.52 umol/L)"),
    ({"anc": {"value": 1200, "unit": "/uL", "lln": 1.5}}, "anc lln 1.5 /uL is implausible as a reference limit (typically about 1500 /uL)"),
    ({"alt": {"value": 0.6, "unit": "ukat/L", "uln": 40}}, "alt uln 40 ukat/L is implausible as a reference limit (typically about 0.667 ukat/L)"),
])
def test_reference_limit_in_another_unit_system_is_refused(lab, fragment):
    """A limit copied from the other unit system is an error naming the expected size, not a silent misgrade."""
    with pytest.raises(InputError) as info:
        state_of({**BASE, "labs": lab})
    assert fragment in str(info.value)
    assert "must be in the same unit as value" in str(info.value)


def test_a_missing_unit_is_a_stated_assumption():
    """A lab with no unit is read in the canonical unit and the output says so."""
    state = state_of({**BASE, "labs": {"alt": {"value": 80}}})
    assert "no unit given for alt; read as U/L" in grade_labs(state).warnings


def test_lichenoid_eruption_points_to_the_rash_term():
    """An unlisted drug eruption suggests rash_maculopapular first."""
    with pytest.raises(InputError) as info:
        state_of({**BASE, "adverse_events": [{"term": "lichenoid_drug_eruption", "grade": 2}]})
    assert "did you mean 'rash_maculopapular'" in str(info.value)
