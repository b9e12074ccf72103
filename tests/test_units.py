"""Unit conversion (patient-state.md, Labs table) and physiological plausibility."""

from __future__ import annotations

import pytest

from advisor.errors import InputError
from advisor.grading import grade_labs
from advisor.units import ANALYTES, accepted_units, to_canonical
from tests.conftest import advise, state_of

TAKING = {"status": "taking", "dose_mg": 400}

# (analyte, value, unit, canonical value): every accepted unit of the spec table.
CONVERSIONS = [
    ("alt", 50, "U/L", 50), ("alt", 50, "IU/L", 50), ("alt", 1.0, "ukat/L", 60), ("alt", 0.1, "ukat/L", 6),
    ("ast", 2.5, "ukat/L", 150), ("ast", 33, "IU/L", 33),
    ("alp", 2.0, "ukat/L", 120), ("alp", 95, "IU/L", 95),
    ("ggt", 0.5, "ukat/L", 30), ("ggt", 70, "IU/L", 70),
    ("bilirubin_total", 17.1, "umol/L", 1.0), ("bilirubin_total", 51.3, "umol/L", 3.0), ("bilirubin_total", 1.2, "mg/dL", 1.2),
    ("bilirubin_direct", 8.55, "umol/L", 0.5),
    ("anc", 1200, "/uL", 1.2), ("anc", 150, "cells/uL", 0.15), ("anc", 1500, "/mm3", 1.5),
    ("anc", 1.2, "K/uL", 1.2), ("anc", 1.2, "10^3/uL", 1.2), ("anc", 1.2, "10^9/L", 1.2),
    ("wbc", 4500, "/uL", 4.5), ("wbc", 4500, "cells/uL", 4.5), ("wbc", 4500, "/mm3", 4.5), ("wbc", 4.5, "K/uL", 4.5),
    ("eosinophils", 1250, "/uL", 1.25), ("eosinophils", 1250, "cells/uL", 1.25), ("eosinophils", 1.25, "10^3/uL", 1.25),
    ("lymphocytes", 900, "/mm3", 0.9), ("lymphocytes", 0.9, "K/uL", 0.9),
    ("platelets", 184000, "/uL", 184), ("platelets", 184, "K/uL", 184), ("platelets", 184, "10^3/uL", 184),
    ("hemoglobin", 138, "g/L", 13.8), ("hemoglobin", 8, "mmol/L", 12.888), ("hemoglobin", 13.8, "g/dL", 13.8),
    ("creatinine", 88.4, "umol/L", 1.0), ("creatinine", 176.8, "umol/L", 2.0),
    ("albumin", 40, "g/L", 4.0), ("albumin", 3.5, "g/dL", 3.5),
    ("inr", 1.5, "ratio", 1.5),
    ("ck", 3.0, "ukat/L", 180), ("ck", 250, "IU/L", 250),
    ("potassium", 3.4, "mEq/L", 3.4), ("potassium", 3.4, "mmol/L", 3.4),
    ("calcium", 2.0, "mmol/L", 8.016), ("calcium", 8.0, "mg/dL", 8.0),
    ("calcium_ionized", 1.1, "mmol/L", 1.1),
    ("magnesium", 0.5, "mmol/L", 1.2155), ("magnesium", 1.2, "mg/dL", 1.2),
    ("phosphate", 1.0, "mmol/L", 3.097), ("phosphate", 2.5, "mg/dL", 2.5),
    ("temperature_c", 100.4, "degF", 38.0), ("temperature_c", 101.3, "degF", 38.5), ("temperature_c", 37.2, "Cel", 37.2),
]


@pytest.mark.parametrize(("analyte", "value", "unit", "canonical"), CONVERSIONS)
def test_accepted_unit_converts_exactly(analyte, value, unit, canonical):
    """Each accepted unit converts to the canonical unit with the spec's exact factor."""
    assert to_canonical(analyte, value, unit) == canonical


@pytest.mark.parametrize(("analyte", "value", "unit", "canonical"), CONVERSIONS)
def test_conversion_applies_when_grading(analyte, value, unit, canonical):
    """The graded lab carries the converted value in the canonical unit."""
    lab = grade_labs(state_of({"imatinib": TAKING, "labs": {analyte: {"value": value, "unit": unit}}})).lab(analyte)
    assert (lab.value, lab.unit) == (canonical, ANALYTES[analyte].canonical)


def test_spec_unit_table_is_the_accepted_set():
    """The accepted units are exactly those the spec lists, plus our documented additions
    (cells/mm3 and G/L for every count, and platelets per uL or mm3 as clinicians write them)."""
    counts = ["10^9/L", "/uL", "cells/uL", "/mm3", "cells/mm3", "K/uL", "10^3/uL", "G/L"]
    expected = {
        "alt": ["U/L", "IU/L", "ukat/L"], "ast": ["U/L", "IU/L", "ukat/L"], "alp": ["U/L", "IU/L", "ukat/L"],
        "ggt": ["U/L", "IU/L", "ukat/L"], "bilirubin_total": ["mg/dL", "umol/L"], "bilirubin_direct": ["mg/dL", "umol/L"],
        "anc": counts, "wbc": counts, "eosinophils": counts, "lymphocytes": counts,
        "platelets": counts, "hemoglobin": ["g/dL", "g/L", "mmol/L"],
        "creatinine": ["mg/dL", "umol/L"], "albumin": ["g/dL", "g/L"], "inr": ["ratio"], "temperature_c": ["Cel", "degF"],
        # contract additions (docs/vocabulary-additions.md)
        "ck": ["U/L", "IU/L", "ukat/L"], "potassium": ["mmol/L", "mEq/L"], "calcium": ["mg/dL", "mmol/L"],
        "calcium_ionized": ["mmol/L"], "magnesium": ["mg/dL", "mmol/L"], "phosphate": ["mg/dL", "mmol/L"],
    }
    assert {k: accepted_units(k) for k in ANALYTES} == expected


def test_reference_limits_are_converted_with_the_value():
    """uln, lln and baseline are read in the value's unit: bilirubin 51.3 umol/L with ULN 17.1 umol/L is 3 x ULN."""
    lab = grade_labs(state_of({"imatinib": TAKING, "labs": {
        "bilirubin_total": {"value": 51.3, "unit": "umol/L", "uln": 17.1, "baseline": 8.55}}})).lab("bilirubin_total")
    assert (lab.value, lab.uln, lab.baseline, lab.x_uln) == (3.0, 1.0, 0.5, 3.0)


def test_converted_value_is_graded_at_the_boundary():
    """ANC 1000 /uL is 1.0 x 10^9/L: grade 2, not grade 3 (the '<' threshold is strict)."""
    grading = grade_labs(state_of({"imatinib": TAKING, "labs": {"anc": {"value": 1000, "unit": "/uL"}}}))
    assert grading.grade_of("neutrophil_count_decreased").grade == 2


def test_conversion_is_shown_in_the_trace():
    """A converted lab adds a conversion step to the trace with the factor used."""
    advice = advise({"imatinib": TAKING, "labs": {"anc": {"value": 1200, "unit": "/uL"}}})
    texts = [e.data["text"] for e in advice.trace if e.step == "conversion"]
    assert texts == ["anc 1200 /uL -> 1.2 10^9/L (/ 1000)"]


def test_missing_unit_is_read_as_canonical_and_said():
    """A lab with no unit is read in the canonical unit, and the trace says so."""
    lab = grade_labs(state_of({"imatinib": TAKING, "labs": {"hemoglobin": {"value": 9.5}}})).lab("hemoglobin")
    assert lab.conversion == "hemoglobin: no unit given, read as g/dL"


def _load_error(labs: dict) -> InputError:
    with pytest.raises(InputError) as info:
        state_of({"imatinib": TAKING, "labs": labs})
    return info.value


@pytest.mark.parametrize("analyte", sorted(ANALYTES))
def test_unknown_unit_names_the_accepted_ones(analyte):
    """A unit outside the table is an error that names every accepted unit for that analyte."""
    err = _load_error({analyte: {"value": 1.0, "unit": "furlongs"}})
    assert err.location.path == f"labs.{analyte}.unit"
    assert err.message == f"unit 'furlongs' is not accepted for {analyte}; accepted: {', '.join(accepted_units(analyte))}"


def test_unit_spelling_is_normalised_but_never_guessed():
    """'K/ul' is read as 'K/uL' (the same unit in another case); a unit matching none is refused."""
    from advisor.units import normalise_unit, spell_unit

    assert spell_unit("anc", normalise_unit("K/ul")) == "K/uL"
    err = _load_error({"anc": {"value": 1.0, "unit": "K/mL"}})
    assert "unit 'K/mL' is not accepted for anc" in err.message


@pytest.mark.parametrize("unit", ["cells/uL", "/mm3", "cells/mm3"])
def test_platelets_accept_the_count_units_clinicians_write(unit):
    """Platelets 150000 cells/uL (or /mm3) are 150 x 10^9/L, as with /uL (issue 13: units as clinicians write them)."""
    lab = grade_labs(state_of({"imatinib": TAKING, "labs": {"platelets": {"value": 150000, "unit": unit}}})).lab("platelets")
    assert (lab.value, lab.unit) == (150.0, "10^9/L")


@pytest.mark.parametrize(("labs", "path", "text"), [
    ({"anc": {"value": -1}}, "labs.anc.value", "anc -1.0 10^9/L is outside what is physiologically possible (0-100 10^9/L)"),
    ({"platelets": {"value": -5, "unit": "/uL"}}, "labs.platelets.value", "platelets -5.0 /uL is outside what is physiologically possible"),
    ({"alt": {"value": 10_000_000}}, "labs.alt.value", "alt 10000000.0 U/L is outside what is physiologically possible (0-100000 U/L)"),
    ({"temperature_c": {"value": 60}}, "labs.temperature_c.value", "temperature_c 60.0 Cel is outside what is physiologically possible (25-45 Cel)"),
    ({"temperature_c": {"value": 140, "unit": "degF"}}, "labs.temperature_c.value", "temperature_c 140.0 degF is outside what is physiologically possible (25-45 Cel)"),
    ({"hemoglobin": {"value": 400, "unit": "g/dL"}}, "labs.hemoglobin.value", "hemoglobin 400.0 g/dL is outside what is physiologically possible"),
])
def test_implausible_value_is_rejected_not_graded(labs, path, text):
    """Physiologically impossible values are input errors naming the lab, its value and the possible range."""
    err = _load_error(labs)
    assert err.location.path == path
    assert err.message.startswith(text), err.message
    unitless = "unit" not in next(iter(labs.values()))
    assert ("no unit was given" in err.message) if unitless else err.message.endswith("check the value and unit")


@pytest.mark.parametrize(("labs", "suggested"), [
    ({"anc": {"value": 400}}, "/uL"),          # 400 /uL read as 400 x 10^9/L before
    ({"platelets": {"value": 150_000}}, "/uL"),
    ({"hemoglobin": {"value": 138}}, "g/L"),
])
def test_unitless_value_impossible_in_the_canonical_unit_asks_for_the_unit(labs, suggested):
    """A value with no unit that is impossible in the canonical unit is refused, naming the unit it fits."""
    err = _load_error(labs)
    assert "no unit was given" in err.message and suggested in err.message, err.message


def test_anc_in_billions_per_litre_above_any_count_is_refused():
    """ANC 450 x 10^9/L (a /uL value written with the wrong unit) is not a count anyone has."""
    err = _load_error({"anc": {"value": 450, "unit": "10^9/L"}})
    assert err.location.path == "labs.anc.value" and "physiologically possible" in err.message


def test_plausible_value_in_another_unit_is_accepted():
    """A value impossible in the canonical unit but fine in its own (hemoglobin 138 g/L) is accepted."""
    state = state_of({"imatinib": TAKING, "labs": {"hemoglobin": {"value": 138, "unit": "g/L"}}})
    assert state.labs["hemoglobin"].value == 138


def test_lln_must_be_below_uln():
    """An LLN at or above the ULN is rejected with both values."""
    err = _load_error({"anc": {"value": 1.0, "lln": 2.0, "uln": 1.8}})
    assert (err.location.path, err.message) == ("labs.anc.lln", "anc: lln (2.0) must be below uln (1.8)")
