"""FHIR Bundle input: what cannot be mapped is a warning or an error naming resource and element."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from advisor.cli import app

from advisor.errors import InputError
from advisor.fhir import NotOnImatinib, mapping
from advisor.readers import reading_from_bundle
from advisor.state import load_state
from advisor.units import ANALYTES
from fhir_resources import adverse_event, bundle, comed, condition, imatinib_order, lab, patient

TS = "2024-06-02T10:00:00Z"


def read(*resources, **kw):
    return reading_from_bundle(bundle(*resources, timestamp=TS, **kw), "<bundle>")


def test_a_unit_the_table_lacks_is_an_error_naming_the_observation():
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(400), lab("1742-6", 3, "mmol/L", oid="alt-9"))
    text = str(err.value)
    assert "Observation/alt-9" in text and "valueQuantity.code" in text and "U/L" in text


def test_two_active_imatinib_orders_are_an_error_naming_both():
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(400, rid="a"), imatinib_order(600, rid="b"))
    assert "MedicationRequest/a" in str(err.value) and "MedicationRequest/b" in str(err.value)


def test_a_completed_earlier_order_does_not_count_as_a_second_one():
    reading = read(patient(), imatinib_order(400, status="completed", authored="2023-01-01"), imatinib_order(300, authored="2024-03-01"))
    assert reading.state.imatinib.dose_mg == 300
    assert reading.state.day == 518  # 2023-01-01 (the first imatinib order) to the Bundle's 2024-06-02


def test_no_imatinib_is_its_own_error():
    with pytest.raises(NotOnImatinib):
        read(patient(), comed("furosemide", 40))


def test_a_resource_of_another_patient_is_refused():
    with pytest.raises(InputError) as err:
        read(patient("p1"), imatinib_order(400), lab("1742-6", 50, "U/L", pid="p2", oid="x"))
    assert "Observation/x" in str(err.value) and "Patient/p2" in str(err.value)


def test_invalid_resource_is_reported_with_its_element():
    bad = lab("1742-6", 50, "U/L", oid="bad")
    bad["valueQuantity"]["value"] = "fifty"
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(400), bad)
    assert "Observation/bad" in str(err.value) and "valueQuantity.value" in str(err.value)


def test_unmapped_things_are_warnings_not_guesses():
    reading = read(patient(), imatinib_order(400),
                   lab("1742-6", 50, "U/L", status="preliminary", oid="prelim"),
                   lab("2093-3", 230, "mg/dL"),  # cholesterol: a LOINC the advisor does not use
                   condition("Hypertension", None),
                   adverse_event("Fatigue", None),
                   comed("zopiclone", 7.5))
    text = "\n".join(reading.warnings)
    assert "alt" not in reading.state.labs  # the preliminary value is not used
    assert "Observation/prelim (preliminary)" in text
    assert "Observation (code not used)" in text
    assert "Hypertension" in text
    assert "fatigue has no CTCAE grade" in text
    assert "'zopiclone' is not a drug the advisor classifies" in text
    assert reading.state.co_medications[0].class_ == "other"


def test_electrolytes_map_and_an_analyte_this_version_lacks_is_a_warning(monkeypatch):
    reading = read(patient(), imatinib_order(400), lab("2823-3", 3.1, "mmol/L", oid="k"), lab("19123-9", 0.6, "mmol/L", oid="mg"))
    assert reading.state.labs["potassium"].value == 3.1 and reading.provenance["labs.magnesium.value"] == "Observation/mg"
    # as in a version before the electrolytes were added (a copy: the shared table keeps its order)
    monkeypatch.setattr(mapping, "ANALYTES", {k: v for k, v in ANALYTES.items() if k != "potassium"})
    reading = read(patient(), imatinib_order(400), lab("2823-3", 3.1, "mmol/L", oid="k"))
    assert "potassium" not in reading.state.labs
    assert any("Observation/k: potassium" in w and "not graded by this version" in w for w in reading.warnings)


def test_a_grade_from_coded_severity_and_a_recovering_outcome():
    ae = adverse_event("Diarrhoea", None, outcome="recovering")
    ae["severity"] = {"coding": [{"system": "http://example.org/ctcae", "code": "grade-2"}]}
    reading = read(patient(), imatinib_order(400), ae)
    event = reading.state.adverse_events[0]
    assert (event.term, event.grade, event.trend) == ("diarrhea", 2, "improving")


def test_draft_order_of_a_patient_not_yet_on_imatinib():
    draft = imatinib_order(400, status="draft")
    reading = reading_from_bundle(bundle(patient(), timestamp=TS), "<b>", draft_orders=[draft])
    assert reading.state.imatinib.status == "not_started" and reading.state.imatinib.dose_mg == 400


def test_a_dose_off_the_ladder_names_the_order():
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(250, rid="odd"))
    assert "MedicationRequest/odd" in str(err.value) and "ladder" in str(err.value)


runner = CliRunner()


def _cli(*args: str):
    result = runner.invoke(app, list(args))
    return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr)


def test_cli_evaluate_reads_a_bundle_and_traces_its_resources(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(patient(), imatinib_order(400), lab("751-8", 0.8, "10*9/L", oid="anc-1"), timestamp=TS)))
    run = _cli("evaluate", str(path), "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    source = next(e for e in out["trace"] if e["step"] == "source")
    assert source["fields"]["labs.anc.value"] == "Observation/anc-1"
    report = tmp_path / "r.md"
    assert _cli("evaluate", str(path), "--report", str(report)).returncode == 0
    assert re.search(r"anc.value \S+ Observation/anc-1", report.read_text())  # the trace names the resource


def test_cli_bad_bundle_exits_2_with_the_resource(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(patient(), imatinib_order(400, rid="a"), imatinib_order(400, rid="b"))))
    run = _cli("evaluate", str(path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "MedicationRequest/a" in run.stderr


def test_batch_and_explain_read_bundles(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(patient(), imatinib_order(400), lab("777-3", 40, "10*9/L"), timestamp=TS)))
    run = _cli("batch", "--json", str(path))
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)["results"][0]
    assert "interrupt_imatinib" in result["recommended"]
    assert _cli("explain", str(path), "heme-withhold").returncode == 0


def test_a_value_the_state_rejects_names_the_resource_it_came_from():
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(400), condition("Rash maculo-papular", 4))
    assert "grades rash_maculopapular from 1 to 3" in str(err.value) and "(from Condition/" in str(err.value)
    with pytest.raises(InputError) as err:
        read(patient(), imatinib_order(400), lab("1742-6", 1e7, "U/L", oid="huge"))
    assert "physiologically possible" in str(err.value) and "(from Observation/huge)" in str(err.value)


def test_ask_starts_from_a_bundle_and_saves_its_state(tmp_path):
    path, out = tmp_path / "b.json", tmp_path / "state.yaml"
    path.write_text(json.dumps(bundle(patient(), imatinib_order(300), lab("751-8", 0.8, "10*9/L"), condition("Hypertension", None),
                                      timestamp=TS)))
    result = runner.invoke(app, ["ask", "--from", str(path), "--save", str(out)], input="\n\n\n",
                           env={"ADVISOR_ASK_ALLOW_NON_TTY": "1"})
    assert result.exit_code == 0, result.output
    assert "Hypertension" in result.output  # what the Bundle could not map is said before the questions
    saved = load_state(out)
    assert saved.imatinib.dose_mg == 300 and saved.labs["anc"].value == 0.8


def test_a_single_resource_instead_of_a_bundle_is_named(tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient()))
    run = _cli("evaluate", str(path))
    assert run.returncode == 2 and "resourceType is 'Patient'; expected Bundle" in run.stderr
