"""A FHIR R4 Bundle -> the patient state, with every mapped value traced to its resource.

The Bundle's resources are validated with fhir.resources (R4B models, which read R4 for
every resource used here) only where they are used, so a search Bundle full of unrelated
resources costs little. Everything that cannot be mapped is a warning or an InputError
naming the resource (`Observation/123`) and the element; nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import vocab
from ..errors import InputError, Location
from ..units import ANALYTES, normalise_unit, spell_unit, to_canonical
from . import codes
from .bundle import (GOOD_OBSERVATION, Context, Resource, codes_of, concept_texts, entries, loinc_codes, observation_when,
                     to_datetime, wrap)
from .medications import (dosage_list, dose_mg, doses_per_day, drug_name, imatinib_dose, is_imatinib, med_start,
                          medication_concept, status_of)


class NotOnImatinib(InputError):
    """The Bundle holds no imatinib order or statement: there is nothing to advise on."""


@dataclass(frozen=True)
class BundleMapping:
    """The state (in the file format), where each value came from, and what was left out."""

    state: dict[str, Any]
    provenance: dict[str, str]  # state path (labs.alt.value) -> resource (Observation/123)
    warnings: tuple[str, ...]
    notes: tuple[str, ...]  # how a value was obtained (the as-of date, a class from a drug name)
    patient_id: str | None = None


# --------------------------------------------------------------------------- the mapping
class _Mapper:
    def __init__(self, resources: list[Resource], bundle: dict, ctx: Context, draft: list[Resource]):
        self.res = resources
        self.ctx = ctx
        self.draft = draft
        self.by_ref = {r.ref: r for r in resources}
        self.state: dict[str, Any] = {}
        self.patient: Resource | None = None
        self.timestamp = to_datetime(bundle.get("timestamp"))

    def of(self, kind: str) -> list[Resource]:
        return [r for r in self.res if r.type == kind]

    def trace(self, path: str, res: Resource, detail: str = "") -> None:
        self.ctx.provenance[path] = res.ref + (f" {detail}" if detail else "")

    # -- patient ---------------------------------------------------------------------------
    def find_patient(self) -> None:
        patients = self.of("Patient")
        ids = {p.ref for p in patients}
        if len(ids) > 1:
            raise InputError(f"the Bundle holds {len(ids)} patients ({', '.join(sorted(ids))}); expected one",
                             Location(self.ctx.source, None, patients[1].where))
        self.patient = patients[0] if patients else None
        if self.patient is None:
            self.ctx.warnings.append("no Patient resource in the Bundle: age and sex unknown")
        self.check_subjects()

    def check_subjects(self) -> None:
        """No resource of another patient may slip into this patient's advice."""
        if self.patient is None or self.patient.model.id is None:
            return
        own = (f"Patient/{self.patient.model.id}",)
        for r in self.res:
            ref = r.subject() if r.type != "Patient" else None
            if ref and not (ref in own or ref.endswith("/" + own[0]) or ref.startswith("urn:")):
                raise self.ctx.error(r, "subject.reference", f"refers to {ref}, not to {own[0]} (the Bundle's patient)")

    def as_of(self) -> dt.datetime | None:
        if self.timestamp is not None:
            return self.timestamp
        dates = [d for d in (observation_when(r.raw) for r in self.of("Observation")) if d]
        dates += [d for d in (med_start(r) for r in self.of("MedicationRequest") + self.of("MedicationStatement")) if d]
        return max(dates) if dates else None

    def map_patient(self, as_of: dt.datetime | None) -> None:
        p = self.patient
        if p is None:
            return
        out: dict[str, Any] = {}
        gender = str(p.model.gender) if p.model.gender else None
        if gender in vocab.SEXES:
            out["sex"] = gender
            self.trace("patient.sex", p, "gender")
        elif gender:
            self.ctx.warnings.append(f"{p.ref}: gender {gender!r} left out (the state knows {', '.join(vocab.SEXES)})")
        birth = to_datetime(p.model.birthDate)
        if birth is not None and as_of is not None:
            age = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
            out["age"] = age
            self.trace("patient.age", p, f"birthDate, at {as_of.date()}")
        weight = self.latest_weight()
        if weight is not None:
            out["weight_kg"] = weight
        if out:
            self.state["patient"] = out

    def latest_weight(self) -> float | None:
        found = [(r, observation_when(r.raw)) for r in self.of("Observation")
                 if any(c in codes.WEIGHT_LOINC for c in self.loinc(r)) and r.raw.get("status") in GOOD_OBSERVATION]
        if not found:
            return None
        r, _ = max(found, key=lambda x: x[1] or dt.datetime.min)
        q = r.model.valueQuantity
        if q is None or q.value is None:
            raise self.ctx.error(r, "valueQuantity", "a body weight without a value")
        unit = q.code or q.unit or ""
        if unit not in codes.WEIGHT_UNITS:
            raise self.ctx.error(r, "valueQuantity.code", f"weight unit {unit!r}; expected kg, g or [lb_av]")
        self.trace("patient.weight_kg", r)
        return round(float(q.value) * codes.WEIGHT_UNITS[unit], 1)

    @staticmethod
    def loinc(r: Resource) -> list[str]:
        return [c for c in loinc_codes(r.raw.get("code")) if isinstance(c, str)]

    # -- imatinib and co-medications ---------------------------------------------------------
    def meds(self) -> list[tuple[Resource, Any]]:
        return [(r, medication_concept(r, self.by_ref)) for r in self.of("MedicationRequest") + self.of("MedicationStatement")]

    def map_imatinib(self, as_of: dt.datetime | None) -> dt.datetime | None:
        imatinib = [r for r, cc in self.meds() if is_imatinib(cc)]
        if not imatinib and self.draft:
            return self.map_draft()
        if not imatinib:
            raise NotOnImatinib("no MedicationRequest or MedicationStatement for imatinib in the Bundle "
                                "(RxNorm 282388, or a medication named imatinib, Gleevec or Glivec)", Location(self.ctx.source))
        known = [r for r in imatinib if status_of(r) is not None]
        current = [r for r in known if status_of(r) in codes.CURRENT]
        requests = [r for r in current if r.type == "MedicationRequest"]
        chosen_from = requests or current
        if len(chosen_from) > 1:
            raise InputError(f"{len(chosen_from)} active imatinib orders ({', '.join(r.ref for r in chosen_from)}); expected one",
                             Location(self.ctx.source, None, chosen_from[1].where))
        if chosen_from:
            chosen = chosen_from[0]
        elif known:
            chosen = max(known, key=lambda r: med_start(r) or dt.datetime.min)
        else:
            raise InputError(f"imatinib appears only in {', '.join(r.ref for r in imatinib)} with status "
                             f"{', '.join(sorted({str(r.model.status) for r in imatinib}))}, which says nothing about what the patient takes",
                             Location(self.ctx.source, None, imatinib[0].where))
        status = status_of(chosen)
        dose, schedule = imatinib_dose(chosen, self.ctx)
        out: dict[str, Any] = {"status": status}
        self.trace("imatinib.status", chosen, f"status {chosen.model.status}")
        if dose is not None:
            out["dose_mg"] = dose
            out["schedule"] = schedule
            self.trace("imatinib.dose_mg", chosen, dosage_list(chosen)[1] + "[0]")
        elif status in codes.CURRENT:
            raise self.ctx.error(chosen, dosage_list(chosen)[1], "no doseQuantity: the current imatinib dose is needed")
        for other in current:
            if other is not chosen and other.type == "MedicationStatement":
                d, _ = imatinib_dose(other, self.ctx)
                if d is not None and d != dose:
                    self.ctx.warnings.append(f"{other.ref} says imatinib {d} mg/d; the order {chosen.ref} says {dose} mg/d (the order is used)")
        if status == "interrupted":
            self.ctx.notes.append(f"{chosen.ref} is on hold; days since the last dose are not in the Bundle")
        self.state["imatinib"] = out
        starts = [s for s in (med_start(r) for r in imatinib) if s]
        start = min(starts) if starts else None
        if start is not None and as_of is not None and as_of >= start:
            self.state["day"] = (as_of - start).days
            first = min((r for r in imatinib if med_start(r)), key=lambda r: med_start(r))
            self.trace("day", first, f"imatinib since {start.date()}")
        return start

    def map_draft(self) -> dt.datetime | None:
        """order-sign: the draft imatinib order for a patient not yet on it."""
        chosen = self.draft[0]
        dose, schedule = imatinib_dose(chosen, self.ctx)
        out: dict[str, Any] = {"status": "not_started"}
        if dose is not None:
            out.update(dose_mg=dose, schedule=schedule)
            self.trace("imatinib.dose_mg", chosen, "draft order")
        self.trace("imatinib.status", chosen, "draft order, not yet signed")
        self.state["imatinib"] = out
        return None

    def map_comeds(self, as_of: dt.datetime | None) -> None:
        out: list[dict[str, Any]] = []
        for r, cc in self.meds():
            if is_imatinib(cc) or status_of(r) not in ("taking",):
                continue
            name = drug_name(cc, r, self.by_ref)
            if name is None:
                self.ctx.warnings.append(f"{r.ref}: a medication without a name or display; left out of co-medications")
                continue
            item: dict[str, Any] = {"drug": name, "class": self.comed_class(name, r)}
            dosages, element = dosage_list(r)
            if len(dosages) == 1:
                dose = dose_mg(dosages[0], r, f"{element}[0]", self.ctx)
                per_day = doses_per_day(dosages[0], r, f"{element}[0]", self.ctx)
                if dose is not None:
                    item["dose_mg"] = round(dose * (per_day or 1.0), 3)
            start = med_start(r)
            if start is not None and as_of is not None and as_of >= start:
                item["days_on"] = (as_of - start).days
            self.trace(f"co_medications[{len(out)}]", r)
            out.append(item)
        if out:
            self.state["co_medications"] = out

    def comed_class(self, name: str, r: Resource) -> str:
        low = name.lower()
        for fragments, classes in codes.COMED_NAMES:
            if any(f in low for f in fragments):
                cls = next((c for c in classes if c in vocab.COMED_CLASSES), "other")
                self.ctx.notes.append(f"{r.ref}: class {cls} from the drug name {name!r}")
                return cls
        self.ctx.warnings.append(f"{r.ref}: {name!r} is not a drug the advisor classifies; recorded as class other")
        return "other"

    # -- labs ----------------------------------------------------------------------------------
    def map_labs(self, start: dt.datetime | None) -> None:
        by_key: dict[str, list[tuple[Resource, dt.datetime | None]]] = {}
        skipped: list[str] = []
        for r in self.of("Observation"):
            keys = [codes.LAB_LOINC[c] for c in self.loinc(r) if c in codes.LAB_LOINC]
            if not keys:
                continue
            if r.raw.get("status") not in GOOD_OBSERVATION:
                skipped.append(f"{r.ref} ({r.raw.get('status')})")
                continue
            key = keys[0]
            if key not in ANALYTES:
                self.ctx.warnings.append(f"{r.ref}: {key} (LOINC {self.loinc(r)[0]}) is not graded by this version; left out")
                continue
            by_key.setdefault(key, []).append((r, observation_when(r.raw)))
        if skipped:
            self.ctx.warnings.append("lab results not final, amended or corrected were not used: " + ", ".join(skipped))
        labs: dict[str, Any] = {}
        for key, found in by_key.items():
            undated = [r.ref for r, d in found if d is None]
            if undated and len(found) > 1:
                self.ctx.warnings.append(f"{', '.join(undated)}: no effective date; ordered as the oldest {key} results")
            found.sort(key=lambda x: x[1] or dt.datetime.min)
            latest, when = found[-1]
            if start is not None and when is not None and when < start:
                self.ctx.notes.append(f"{latest.ref}: the latest {key} is from before imatinib was started ({when.date()})")
            lab = self.lab_value(key, latest)
            unit = lab["unit"]
            earlier = [(r, d) for r, d in found[:-1] if start is not None and d is not None and d < start]
            if earlier:
                base_res = earlier[-1][0]
                base_value, base_unit = self.quantity(key, base_res)
                lab["baseline"] = self.convert(key, base_value, base_unit, unit)
                self.trace(f"labs.{key}.baseline", base_res, "before imatinib start")
            labs[key] = lab
        if labs:
            self.state["labs"] = dict(sorted(labs.items()))

    def quantity(self, key: str, r: Resource) -> tuple[float, str]:
        q = r.model.valueQuantity
        if q is None or q.value is None:
            reason = concept_texts(r.model.dataAbsentReason) if r.model.dataAbsentReason else []
            raise self.ctx.error(r, "valueQuantity", f"a {key} result without a numeric value"
                                 + (f" (dataAbsentReason: {reason[0]})" if reason else "") + "; remove it or mark it entered-in-error")
        if q.comparator:
            self.ctx.warnings.append(f"{r.ref}: {key} reported as {q.comparator}{q.value}; read as {q.value}")
        return float(q.value), self.unit(key, r, q, "valueQuantity")

    def unit(self, key: str, r: Resource, q: Any, element: str) -> str:
        raw = q.code or q.unit
        if raw is None:
            raw = ANALYTES[key].canonical
            self.ctx.warnings.append(f"{r.ref}: {element} has no unit; read as {raw}")
        unit = spell_unit(key, normalise_unit(codes.UCUM_TO_TABLE.get(raw, raw)))
        if unit not in ANALYTES[key].conversions:
            raise self.ctx.error(r, f"{element}.code", f"unit {raw!r} is not one the advisor converts for {key}; "
                                 f"accepted: {', '.join(ANALYTES[key].conversions)}")
        return unit

    @staticmethod
    def convert(key: str, value: float, from_unit: str, to_unit: str) -> float:
        if from_unit == to_unit:
            return value
        return float(f"{to_canonical(key, value, from_unit) / to_canonical(key, 1.0, to_unit):.6g}")

    def lab_value(self, key: str, r: Resource) -> dict[str, Any]:
        value, unit = self.quantity(key, r)
        lab: dict[str, Any] = {"value": value, "unit": unit}
        self.trace(f"labs.{key}.value", r)
        for k, rng in enumerate(r.model.referenceRange or ()):
            kinds = [c.code for c in (rng.type.coding or ())] if rng.type else []
            if kinds and "normal" not in kinds:
                continue
            for end, name in ((rng.low, "lln"), (rng.high, "uln")):
                if end is None or end.value is None:
                    continue
                end_unit = self.unit(key, r, end, f"referenceRange[{k}].{'low' if name == 'lln' else 'high'}") if (end.code or end.unit) else unit
                lab[name] = self.convert(key, float(end.value), end_unit, unit)
                self.trace(f"labs.{key}.{name}", r, f"referenceRange[{k}]")
            break
        return lab

    # -- adverse events and conditions --------------------------------------------------------------
    def map_events(self) -> None:
        current: dict[str, tuple[dict[str, Any], Resource]] = {}
        history: list[tuple[dict[str, Any], Resource]] = []
        unknown: list[str] = []
        for r in self.of("Condition") + self.of("AdverseEvent"):
            m = r.model
            concept = m.code if r.type == "Condition" else m.event
            term = _term(concept)
            if r.type == "Condition":
                verification = codes_of(m.verificationStatus)
                if {"refuted", "entered-in-error"} & verification:
                    continue
                clinical = codes_of(m.clinicalStatus)
                resolved = bool({"resolved", "inactive", "remission"} & clinical)
                trend = None
            else:
                if str(m.actuality) == "potential":
                    continue
                outcome = codes_of(m.outcome)
                resolved = bool({"resolved", "resolvedWithSequelae"} & outcome)
                trend = "improving" if "recovering" in outcome else None
            if term is None:
                unknown.append(f"{r.ref} ({(concept_texts(concept) or ['no text'])[0]})")
                continue
            grade = self.grade(r)
            if grade is None:
                self.ctx.warnings.append(f"{r.ref}: {term} has no CTCAE grade (extension or coded severity); left out — grade it to include it")
                continue
            if resolved:
                history.append(({"term": term, "grade": grade, "outcome": "resolved"}, r))
                continue
            event: dict[str, Any] = {"term": term, "grade": grade}
            if trend:
                event["trend"] = trend
            if term in current:
                kept = max(current[term], (event, r), key=lambda x: x[0]["grade"])
                self.ctx.warnings.append(f"{current[term][1].ref} and {r.ref} both record {term}; the higher grade ({kept[0]['grade']}) is used")
                current[term] = kept
            else:
                current[term] = (event, r)
        if unknown:
            self.ctx.warnings.append("conditions and adverse events that are not CTCAE terms the advisor knows were left out: " + ", ".join(unknown))
        if current:
            self.state["adverse_events"] = []
            for i, (event, r) in enumerate(current.values()):
                self.state["adverse_events"].append(event)
                self.trace(f"adverse_events[{i}]", r)
        if history:
            self.state["history"] = []
            for i, (item, r) in enumerate(history):
                self.state["history"].append(item)
                self.trace(f"history[{i}]", r, "resolved")

    def grade(self, r: Resource) -> int | None:
        for ext in r.model.extension or ():
            url = (ext.url or "").lower()
            if "grade" not in url:
                continue
            for value in (ext.valueInteger, ext.valuePositiveInt, ext.valueString, ext.valueCode):
                g = _grade_text(value)
                if g:
                    return g
            if ext.valueCodeableConcept is not None:
                g = _grade_concept(ext.valueCodeableConcept)
                if g:
                    return g
            raise self.ctx.error(r, "extension", f"grade extension {ext.url} holds no CTCAE grade 1-5")
        severity = getattr(r.model, "severity", None)
        g = _grade_concept(severity) if severity is not None else None
        if g is None and severity is not None:
            self.ctx.notes.append(f"{r.ref}: severity {(concept_texts(severity) or [c.code for c in severity.coding or ()])} is not a CTCAE grade")
        return g




def _term(cc: Any) -> str | None:
    if cc is None:
        return None
    candidates = [c.code for c in cc.coding or () if c.code] + concept_texts(cc)
    for text in candidates:
        s = codes.snake(str(text))
        s = codes.TERM_ALIASES.get(s, s)
        if s in vocab.AE_TERMS:
            return s
    return None


def _grade_text(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    match = codes.GRADE_TEXT.match(str(value))
    return int(match.group(1)) if match else None


def _grade_concept(cc: Any) -> int | None:
    for c in cc.coding or ():
        for v in (c.code, c.display):
            g = _grade_text(v)
            if g:
                return g
    return _grade_text(cc.text)


def _decimal_free(data: Any) -> Any:
    if isinstance(data, Decimal):
        return float(data)
    if isinstance(data, dict):
        return {k: _decimal_free(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_decimal_free(v) for v in data]
    return data


def map_bundle(bundle: dict, source: str = "<bundle>", draft_orders: list[dict] | None = None) -> BundleMapping:
    """The patient state a FHIR R4 Bundle describes; raises InputError (NotOnImatinib when no
    imatinib order or statement is found) naming the resource and element of any problem."""
    if bundle.get("resourceType") != "Bundle":
        raise InputError(f"resourceType is {bundle.get('resourceType')!r}; expected Bundle", Location(source, None, "resourceType"))
    ctx = Context(source)
    resources = entries(bundle, ctx)
    draft = []
    for i, raw in enumerate(draft_orders or ()):
        if isinstance(raw, dict) and raw.get("resourceType") == "MedicationRequest":
            r = wrap(raw, f"draftOrders[{i}]", ctx)
            if is_imatinib(medication_concept(r, {})):
                draft.append(r)
    mapper = _Mapper(resources, bundle, ctx, draft)
    mapper.find_patient()
    as_of = mapper.as_of()
    if as_of is not None:
        ctx.notes.append(f"values are read as of {as_of.date()} ("
                         + ("Bundle.timestamp" if mapper.timestamp else "the latest date in the Bundle") + ")")
    start = mapper.map_imatinib(as_of)
    mapper.map_patient(as_of)
    mapper.map_labs(start)
    mapper.map_events()
    mapper.map_comeds(as_of)
    order = ("patient", "day", "imatinib", "adverse_events", "labs", "co_medications", "history")
    state = {k: _decimal_free(mapper.state[k]) for k in order if k in mapper.state}
    pid = mapper.patient.model.id if mapper.patient is not None else None
    return BundleMapping(state, dict(ctx.provenance), tuple(dict.fromkeys(ctx.warnings)), tuple(dict.fromkeys(ctx.notes)), pid)
