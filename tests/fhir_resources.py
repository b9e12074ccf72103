"""Builders of FHIR R4 resources as an EHR sends them (plain JSON dicts), for tests and benchmarks.

Each builder writes the resource the way a FHIR server would: coded with LOINC / RxNorm,
UCUM quantities, status, dates and a subject reference to the patient.
"""

from __future__ import annotations

import itertools
from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CTCAE_GRADE = "http://hl7.org/fhir/us/ctcae/StructureDefinition/ctcae-grade"

_ids = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def patient(pid: str = "p1", birth: str = "1962-03-14", gender: str = "female") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": birth, "gender": gender}


def _subject(pid: str) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


def quantity(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def lab(loinc: str, value: float, unit: str, date: str = "2024-06-01", *, low: float | None = None,
        high: float | None = None, status: str = "final", pid: str = "p1", oid: str | None = None,
        display: str = "") -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": oid or _id("obs"), "status": status,
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display or loinc}]},
        "subject": _subject(pid), "effectiveDateTime": f"{date}T08:00:00Z", "valueQuantity": quantity(value, unit),
    }
    if low is not None or high is not None:
        rng: dict[str, Any] = {}
        if low is not None:
            rng["low"] = quantity(low, unit)
        if high is not None:
            rng["high"] = quantity(high, unit)
        obs["referenceRange"] = [rng]
    return obs


def weight(kg: float, date: str = "2024-06-01", pid: str = "p1") -> dict[str, Any]:
    return lab("29463-7", kg, "kg", date, pid=pid, display="Body weight")


def _dosage(dose_mg: float, per: str) -> dict[str, Any]:
    frequency, period = {"daily": (1, 1), "twice_daily": (2, 1), "every_other_day": (1, 2)}[per]
    return {"timing": {"repeat": {"frequency": frequency, "period": period, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": dose_mg, "unit": "mg", "system": UCUM, "code": "mg"}}]}


def imatinib_order(dose_mg_per_intake: float, schedule: str = "daily", status: str = "active", *,
                   authored: str = "2024-01-02", pid: str = "p1", rid: str | None = None,
                   coded: bool = True, resource: str = "MedicationRequest") -> dict[str, Any]:
    concept: dict[str, Any] = ({"coding": [{"system": RXNORM, "code": "282388", "display": "imatinib"}]}
                               if coded else {"text": "Glivec 400 mg tablets"})
    out: dict[str, Any] = {"resourceType": resource, "id": rid or _id("med"), "status": status,
                           "medicationCodeableConcept": concept, "subject": _subject(pid)}
    if resource == "MedicationRequest":
        out.update(intent="order", authoredOn=authored, dosageInstruction=[_dosage(dose_mg_per_intake, schedule)])
    else:
        out.update(effectivePeriod={"start": authored}, dosage=[_dosage(dose_mg_per_intake, schedule)])
    return out


def comed(name: str, dose_mg: float | None = None, *, start: str = "2024-05-01", pid: str = "p1",
          rxnorm: str | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": name}
    if rxnorm:
        concept["coding"] = [{"system": RXNORM, "code": rxnorm, "display": name}]
    out: dict[str, Any] = {"resourceType": "MedicationStatement", "id": _id("ms"), "status": "active",
                           "medicationCodeableConcept": concept, "subject": _subject(pid), "effectivePeriod": {"start": start}}
    if dose_mg is not None:
        out["dosage"] = [_dosage(dose_mg, "daily")]
    return out


def _grade_ext(grade: int) -> list[dict[str, Any]]:
    return [{"url": CTCAE_GRADE, "valueCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/us/ctcae/CodeSystem/ctcae-grade-code-system",
                                                                      "code": str(grade), "display": f"Grade {grade}"}]}}]


def condition(display: str, grade: int | None, *, status: str = "active", pid: str = "p1", onset: str = "2024-05-20") -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Condition", "id": _id("cond"),
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]},
        "code": {"text": display}, "subject": _subject(pid), "onsetDateTime": onset,
    }
    if grade is not None:
        out["extension"] = _grade_ext(grade)
    return out


def adverse_event(display: str, grade: int | None, *, outcome: str = "ongoing", pid: str = "p1",
                  date: str = "2024-05-25") -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "AdverseEvent", "id": _id("ae"), "actuality": "actual",
        "event": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/MDRAE", "display": display}], "text": display},
        "subject": _subject(pid), "date": date,
        "outcome": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome", "code": outcome}]},
    }
    if grade is not None:
        out["extension"] = _grade_ext(grade)
    return out


def bundle(*resources: dict[str, Any], kind: str = "collection", timestamp: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Bundle", "type": kind,
                           "entry": [{"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r.get('id', i)}", "resource": r}
                                     for i, r in enumerate(resources)]}
    if timestamp:
        out["timestamp"] = timestamp
    return out
