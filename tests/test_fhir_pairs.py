"""A FHIR R4 Bundle built from resources gives the same state and the same advice as the
equivalent state file, across the areas of the rulebook (issue 14)."""

from __future__ import annotations

import pytest

from advisor.evaluate import evaluate
from advisor.readers import reading_from_bundle
from conftest import state_of
from fhir_resources import adverse_event, bundle, comed, condition, imatinib_order, lab, patient, weight

TS = "2024-06-02T10:00:00Z"  # the decision point; the patient (born 1962-03-14) is 62

PAIRS = {
    "liver-grade3-with-baseline": (
        [patient(), weight(68), imatinib_order(400, authored="2024-01-02"),
         lab("1742-6", 30, "U/L", "2023-12-20", high=40), lab("1742-6", 90, "U/L", "2024-04-01", high=40),
         lab("1742-6", 250, "U/L", "2024-06-01", high=40), lab("1920-8", 130, "U/L", "2024-06-01", high=40),
         lab("1975-2", 20, "umol/L", "2024-06-01", high=21)],
        """
        patient: {age: 62, sex: female, weight_kg: 68}
        day: 152
        imatinib: {status: taking, dose_mg: 400, schedule: daily}
        labs:
          alt: {value: 250, unit: U/L, uln: 40, baseline: 30}
          ast: {value: 130, unit: U/L, uln: 40}
          bilirubin_total: {value: 20, unit: umol/L, uln: 21}
        """),
    "neutropenia-grade3-cells-per-uL": (
        [patient(gender="male"), imatinib_order(400), lab("751-8", 800, "/uL", low=1500), lab("777-3", 160, "10*9/L"),
         lab("718-7", 12.4, "g/dL")],
        """
        patient: {age: 62, sex: male}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        labs:
          anc: {value: 800, unit: /uL, lln: 1500}
          platelets: {value: 160, unit: 10^9/L}
          hemoglobin: {value: 12.4, unit: g/dL}
        """),
    "platelets-grade4-k-per-uL": (
        [patient(), imatinib_order(300), lab("777-3", 20, "10*3/uL"), lab("751-8", 1.8, "10*9/L")],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 300}
        labs:
          platelets: {value: 20, unit: 10^3/uL}
          anc: {value: 1.8, unit: 10^9/L}
        """),
    "anemia-hemoglobin-g-per-L": (
        [patient(), imatinib_order(400), lab("718-7", 72, "g/L", low=120)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        labs: {hemoglobin: {value: 72, unit: g/L, lln: 120}}
        """),
    "febrile-neutropenia": (
        [patient(), imatinib_order(400), lab("751-8", 0.4, "10*9/L"), lab("8310-5", 38.6, "Cel"),
         adverse_event("Febrile neutropenia", 3)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        adverse_events: [{term: febrile_neutropenia, grade: 3}]
        labs:
          anc: {value: 0.4, unit: 10^9/L}
          temperature_c: {value: 38.6, unit: Cel}
        """),
    "rash-grade3-condition-with-eosinophils": (
        [patient(), imatinib_order(400), condition("Rash maculo-papular", 3), lab("711-2", 1.2, "10*9/L")],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        adverse_events: [{term: rash_maculopapular, grade: 3}]
        labs: {eosinophils: {value: 1.2, unit: 10^9/L}}
        """),
    "pleural-effusion-grade2-adverse-event": (
        [patient(), imatinib_order(400), adverse_event("Pleural effusion", 2), comed("furosemide", 40)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        adverse_events: [{term: pleural_effusion, grade: 2}]
        co_medications: [{drug: furosemide, dose_mg: 40, class: diuretic, days_on: 32}]
        """),
    "diarrhea-grade3-twice-daily": (
        [patient(), imatinib_order(400, "twice_daily"), adverse_event("Diarrhea", 3)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 800, schedule: twice_daily}
        adverse_events: [{term: diarrhea, grade: 3}]
        """),
    "rifampicin-inducer": (
        [patient(), imatinib_order(400), comed("rifampicin", 600, start="2024-05-19")],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        co_medications: [{drug: rifampicin, dose_mg: 600, class: strong_cyp3a4_inducer, days_on: 14}]
        """),
    "creatinine-umol-grade2": (
        [patient(), imatinib_order(400), lab("14682-9", 200, "umol/L", high=90)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        labs: {creatinine: {value: 200, unit: umol/L, uln: 90}}
        """),
    "on-hold-with-resolved-history": (
        [patient(), imatinib_order(400, status="on-hold"), condition("Neutrophil count decreased", 3, status="resolved"),
         lab("751-8", 2.0, "10*9/L"), lab("777-3", 120, "10*9/L")],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: interrupted, dose_mg: 400}
        labs:
          anc: {value: 2.0, unit: 10^9/L}
          platelets: {value: 120, unit: 10^9/L}
        history: [{term: neutrophil_count_decreased, grade: 3, outcome: resolved}]
        """),
    "statement-brand-every-other-day": (
        [patient(), imatinib_order(100, "every_other_day", resource="MedicationStatement", coded=False),
         lab("1742-6", 0.9, "ukat/L", high=0.7), adverse_event("Edema limbs", 1)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 100, schedule: every_other_day}
        adverse_events: [{term: edema_limbs, grade: 1}]
        labs: {alt: {value: 0.9, unit: ukat/L, uln: 0.7}}
        """),
    "electrolytes-ggt-ck": (
        [patient(), imatinib_order(400), lab("2823-3", 2.8, "mmol/L", low=3.5, high=5.1), lab("19123-9", 0.5, "mmol/L", low=0.7),
         lab("17861-6", 7.6, "mg/dL", low=8.6), lab("1751-7", 3.1, "g/dL", low=3.5), lab("2324-2", 180, "U/L", high=55),
         lab("2157-6", 900, "U/L", high=190), lab("2777-1", 2.0, "mg/dL", low=2.5)],
        """
        patient: {age: 62, sex: female}
        day: 152
        imatinib: {status: taking, dose_mg: 400}
        labs:
          albumin: {value: 3.1, unit: g/dL, lln: 3.5}
          calcium: {value: 7.6, unit: mg/dL, lln: 8.6}
          ck: {value: 900, unit: U/L, uln: 190}
          ggt: {value: 180, unit: U/L, uln: 55}
          magnesium: {value: 0.5, unit: mmol/L, lln: 0.7}
          phosphate: {value: 2.0, unit: mg/dL, lln: 2.5}
          potassium: {value: 2.8, unit: mmol/L, lln: 3.5, uln: 5.1}
        """),
}


def _advice_core(advice) -> dict:
    out = advice.to_json(with_trace=False)
    out.pop("warnings")  # the Bundle adds its own (as-of date, classes from drug names)
    return out


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_bundle_gives_the_state_and_advice_of_its_state_file(name, rulebook):
    resources, text = PAIRS[name]
    reading = reading_from_bundle(bundle(*resources, timestamp=TS), f"<{name}>")
    expected = state_of(text.replace("\n        ", "\n"))
    assert reading.state == expected
    assert _advice_core(evaluate(reading.state, rulebook)) == _advice_core(evaluate(expected, rulebook))


def test_the_pairs_span_the_areas_and_decisions(rulebook):
    """The paired cases are not all the same advice: they cover several dosing decisions."""
    decisions = set()
    for name, (resources, _) in PAIRS.items():
        advice = evaluate(reading_from_bundle(bundle(*resources, timestamp=TS), name).state, rulebook)
        decisions.add(advice.dosing.action)
    assert len(PAIRS) >= 10
    assert {"interrupt_imatinib", "continue_imatinib"} <= decisions and len(decisions) >= 3


def test_every_mapped_value_names_its_resource():
    resources, _ = PAIRS["liver-grade3-with-baseline"]
    reading = reading_from_bundle(bundle(*resources, timestamp=TS), "<b>")
    ids = {f"{r['resourceType']}/{r['id']}" for r in resources}
    by_path = {path: ref.split(" ")[0] for path, ref in reading.provenance.items()}
    assert {"labs.alt.value", "labs.alt.uln", "labs.alt.baseline", "labs.ast.value", "imatinib.dose_mg",
            "patient.age", "patient.weight_kg", "day"} <= set(by_path)
    assert set(by_path.values()) <= ids
    alt = [r for r in resources if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "1742-6"]
    assert by_path["labs.alt.value"] == f"Observation/{alt[-1]['id']}"  # the latest of three
    assert by_path["labs.alt.baseline"] == f"Observation/{alt[0]['id']}"  # the one before imatinib
