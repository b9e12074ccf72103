"""A FHIR R4 Bundle -> the patient state, with every mapped value traced to its resource.

The Bundle's resources are validated with fhir.resources (R4B models, which read R4 for
every resource used here) only where they are used, so a search Bundle full of unrelated
resources costs little. Everything that cannot be mapped is a warning or an InputError
naming the resource (`Observation/123`) and the element; nothing is guessed silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import vocab
from ..errors import InputError, Location
from ..units import ANALYTES, normalise_unit, to_canonical
from . import codes

BUNDLE_TYPES = ("collection", "searchset", "document", "batch-response", "transaction-response")
USED_TYPES = ("Patient", "Observation", "MedicationRequest", "MedicationStatement", "Medication", "Condition", "AdverseEvent")
GOOD_OBSERVATION = ("final", "amended", "corrected")


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


@dataclass
class _Res:
    """One resource of the Bundle: raw JSON, reference label and entry position; its typed
    model is validated on first use, so resources the mapping only looks past (an older lab
    value among hundreds) cost no validation."""

    raw: dict
    ref: str
    where: str
    ctx: "_Ctx"
    _model: Any = None

    @property
    def type(self) -> str:
        return self.raw["resourceType"]

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = _validate_model(self.raw, self.ref, self.where, self.ctx)
        return self._model

    def subject(self) -> str | None:
        subject = self.raw.get("subject")
        ref = subject.get("reference") if isinstance(subject, dict) else None
        return ref if isinstance(ref, str) else None


@dataclass
class _Ctx:
    source: str
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, res: _Res | None, element: str, message: str) -> InputError:
        who = f"{res.ref}: {element}: " if res is not None else ""
        path = f"{res.where}.{element}" if res is not None else element
        return InputError(f"{who}{message}", Location(self.source, None, path))


def _model_class(kind: str):
    from fhir.resources.R4B import get_fhir_model_class  # heavy: imported only when a Bundle is read

    return get_fhir_model_class(kind)


def _validate(raw: dict, where: str, ctx: _Ctx) -> _Res:
    kind = raw["resourceType"]
    ref = f"{kind}/{raw['id']}" if isinstance(raw.get("id"), str) else f"{kind} at {where}"
    return _Res(raw, ref, where, ctx)


def _validate_model(raw: dict, ref: str, where: str, ctx: _Ctx) -> Any:
    from pydantic import ValidationError

    try:
        return _model_class(raw["resourceType"]).model_validate(raw)
    except ValidationError as exc:
        problems = [f"{ref}: {'.'.join(str(p) for p in e['loc']) or '(resource)'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()]
        if len(problems) == 1:
            raise InputError(problems[0], Location(ctx.source, None, where)) from None
        raise InputError(f"{len(problems)} problems in {ref}", Location(ctx.source, None, where), problems) from None


# --------------------------------------------------------------------------- reading the Bundle
def _entries(bundle: dict, ctx: _Ctx) -> list[_Res]:
    kind = bundle.get("type")
    if kind not in BUNDLE_TYPES:
        raise InputError(f"Bundle.type is {kind!r}; expected one of {', '.join(BUNDLE_TYPES)}", Location(ctx.source, None, "type"))
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list of entries", Location(ctx.source, None, "entry"))
    out: list[_Res] = []
    ignored: dict[str, int] = {}
    for i, e in enumerate(entries):
        where = f"entry[{i}].resource"
        raw = e.get("resource") if isinstance(e, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise InputError("each entry needs a resource with a resourceType", Location(ctx.source, None, f"entry[{i}]"))
        kind = raw["resourceType"]
        if kind == "Bundle":  # a prefetch search result nested in a collection
            out.extend(_entries({"type": raw.get("type", "searchset"), "entry": raw.get("entry")}, ctx))
            continue
        if kind not in USED_TYPES:
            if kind != "OperationOutcome":
                ignored[kind] = ignored.get(kind, 0) + 1
            continue
        if kind == "Observation" and not _relevant_observation(raw):
            ignored["Observation (code not used)"] = ignored.get("Observation (code not used)", 0) + 1
            continue
        out.append(_validate(raw, where, ctx))
    if ignored:
        ctx.warnings.append("FHIR resources not used by the advisor: " + ", ".join(f"{n} {k}" for k, n in sorted(ignored.items())))
    return out


def _loinc_codes(raw_code: Any) -> list[str]:
    codings = raw_code.get("coding") if isinstance(raw_code, dict) else None
    return [c.get("code") for c in codings or () if isinstance(c, dict) and c.get("system") == codes.LOINC]


def _relevant_observation(raw: dict) -> bool:
    found = _loinc_codes(raw.get("code"))
    return any(c in codes.LAB_LOINC or c in codes.WEIGHT_LOINC for c in found)


# --------------------------------------------------------------------------- dates
def _when(value: Any) -> dt.datetime | None:
    """A FHIR date, dateTime or partial date as a naive UTC datetime (for ordering and ages)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value)
    try:
        return _when(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    parts = text.split("-")
    try:
        return dt.datetime(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
    except ValueError:
        return None


def _observation_when(raw: dict) -> dt.datetime | None:
    """When an Observation was made, read from its raw JSON (to choose before validating)."""
    period = raw.get("effectivePeriod") if isinstance(raw.get("effectivePeriod"), dict) else {}
    for value in (raw.get("effectiveDateTime"), raw.get("effectiveInstant"), period.get("end"), period.get("start"), raw.get("issued")):
        if isinstance(value, str) and (when := _when(value)) is not None:
            return when
    return None


# --------------------------------------------------------------------------- medications
def _concept_texts(cc: Any) -> list[str]:
    if cc is None:
        return []
    out = [cc.text] if cc.text else []
    out += [c.display for c in cc.coding or () if c.display]
    return out


def _medication_concept(res: _Res, by_ref: dict[str, _Res]) -> Any:
    m = res.model
    cc = getattr(m, "medicationCodeableConcept", None)
    if cc is not None:
        return cc
    ref = getattr(m, "medicationReference", None)
    if ref is None or not ref.reference:
        return None
    if ref.reference.startswith("#"):
        for c in m.contained or ():
            if c.get_resource_type() == "Medication" and c.id == ref.reference[1:]:
                return c.code
        return None
    target = by_ref.get(ref.reference)
    return target.model.code if target is not None else None


def _is_imatinib(cc: Any) -> bool:
    if cc is None:
        return False
    if any(c.system == codes.RXNORM and c.code in codes.IMATINIB_RXNORM for c in cc.coding or ()):
        return True
    return any(codes.IMATINIB_WORDS.search(t) for t in _concept_texts(cc))


def _drug_name(cc: Any, res: _Res, by_ref: dict[str, _Res]) -> str | None:
    texts = _concept_texts(cc)
    if not texts and getattr(res.model, "medicationReference", None) is not None:
        texts = [res.model.medicationReference.display] if res.model.medicationReference.display else []
    return texts[0][:80] if texts else None


def _dosages(res: _Res) -> tuple[list[Any], str]:
    m = res.model
    if res.type == "MedicationRequest":
        return list(m.dosageInstruction or ()), "dosageInstruction"
    return list(m.dosage or ()), "dosage"


_PERIOD_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}
_TIMING_CODES = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "QOD": 0.5, "AM": 1.0, "PM": 1.0}


def _per_day(dosage: Any, res: _Res, element: str, ctx: _Ctx) -> float | None:
    timing = dosage.timing
    if timing is None:
        return None
    rep = timing.repeat
    if rep is not None and (rep.frequency is not None or rep.period is not None):
        unit = rep.periodUnit or "d"
        if unit not in _PERIOD_DAYS:
            raise ctx.error(res, f"{element}.timing.repeat.periodUnit", f"unknown period unit {unit!r}")
        period_days = float(rep.period or 1) * _PERIOD_DAYS[unit]
        return float(rep.frequency or 1) / period_days
    if timing.code is not None:
        for c in timing.code.coding or ():
            if c.code in _TIMING_CODES:
                return _TIMING_CODES[c.code]
        raise ctx.error(res, f"{element}.timing.code", f"timing {_concept_texts(timing.code) or '(no code)'} is not one the advisor reads "
                        "(QD, BID, QOD or timing.repeat frequency/period)")
    return None


def _dose_mg(dosage: Any, res: _Res, element: str, ctx: _Ctx) -> float | None:
    for k, dr in enumerate(dosage.doseAndRate or ()):
        q = dr.doseQuantity
        if q is None:
            continue
        unit = q.code or q.unit
        if unit not in ("mg", "g"):
            raise ctx.error(res, f"{element}.doseAndRate[{k}].doseQuantity", f"dose unit {unit!r} is not a mass; expected mg")
        return float(q.value) * (1000 if unit == "g" else 1)
    return None


def _imatinib_dose(res: _Res, ctx: _Ctx) -> tuple[int | None, str]:
    """Daily dose in mg and the schedule (daily, twice_daily, every_other_day) from the dosage."""
    dosages, name = _dosages(res)
    if not dosages:
        return None, "daily"
    if len(dosages) > 1:
        raise ctx.error(res, name, f"{len(dosages)} dosage instructions; expected one (a tapering or split regimen is not read)")
    element = f"{name}[0]"
    dose = _dose_mg(dosages[0], res, element, ctx)
    if dose is None:
        return None, "daily"
    per_day = _per_day(dosages[0], res, element, ctx)
    if per_day is None:
        per_day = 1.0
        ctx.notes.append(f"{res.ref}: no timing in {element}; read as once daily")
    if abs(per_day - 1) < 1e-9:
        total, schedule = dose, "daily"
    elif abs(per_day - 2) < 1e-9:
        total, schedule = dose * 2, "twice_daily"
    elif abs(per_day - 0.5) < 1e-9:
        total, schedule = dose, "every_other_day"
    else:
        raise ctx.error(res, f"{element}.timing", f"{per_day:g} doses a day; the advisor reads once daily, twice daily or every other day")
    if total != int(total):
        raise ctx.error(res, f"{element}.doseAndRate", f"a daily dose of {total:g} mg is not a whole number of mg")
    return int(total), schedule


def _med_start(res: _Res) -> dt.datetime | None:
    m = res.model
    if res.type == "MedicationStatement":
        period = m.effectivePeriod
        return _when(m.effectiveDateTime) or (_when(period.start) if period else None)
    validity = m.dispenseRequest.validityPeriod if m.dispenseRequest and m.dispenseRequest.validityPeriod else None
    return (_when(validity.start) if validity else None) or _when(m.authoredOn)


def _status_of(res: _Res) -> str | None:
    status = str(res.model.status)
    table = codes.REQUEST_STATUS if res.type == "MedicationRequest" else codes.STATEMENT_STATUS
    return table.get(status)


# --------------------------------------------------------------------------- the mapping
class _Mapper:
    def __init__(self, resources: list[_Res], bundle: dict, ctx: _Ctx, draft: list[_Res]):
        self.res = resources
        self.ctx = ctx
        self.draft = draft
        self.by_ref = {r.ref: r for r in resources}
        self.state: dict[str, Any] = {}
        self.patient: _Res | None = None
        self.timestamp = _when(bundle.get("timestamp"))

    def of(self, kind: str) -> list[_Res]:
        return [r for r in self.res if r.type == kind]

    def trace(self, path: str, res: _Res, detail: str = "") -> None:
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
        dates = [d for d in (_observation_when(r.raw) for r in self.of("Observation")) if d]
        dates += [d for d in (_med_start(r) for r in self.of("MedicationRequest") + self.of("MedicationStatement")) if d]
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
        birth = _when(p.model.birthDate)
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
        found = [(r, _observation_when(r.raw)) for r in self.of("Observation")
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
    def loinc(r: _Res) -> list[str]:
        return [c for c in _loinc_codes(r.raw.get("code")) if isinstance(c, str)]

    # -- imatinib and co-medications ---------------------------------------------------------
    def meds(self) -> list[tuple[_Res, Any]]:
        return [(r, _medication_concept(r, self.by_ref)) for r in self.of("MedicationRequest") + self.of("MedicationStatement")]

    def map_imatinib(self, as_of: dt.datetime | None) -> dt.datetime | None:
        imatinib = [r for r, cc in self.meds() if _is_imatinib(cc)]
        if not imatinib and self.draft:
            return self.map_draft()
        if not imatinib:
            raise NotOnImatinib("no MedicationRequest or MedicationStatement for imatinib in the Bundle "
                                "(RxNorm 282388, or a medication named imatinib, Gleevec or Glivec)", Location(self.ctx.source))
        known = [r for r in imatinib if _status_of(r) is not None]
        current = [r for r in known if _status_of(r) in codes.CURRENT]
        requests = [r for r in current if r.type == "MedicationRequest"]
        chosen_from = requests or current
        if len(chosen_from) > 1:
            raise InputError(f"{len(chosen_from)} active imatinib orders ({', '.join(r.ref for r in chosen_from)}); expected one",
                             Location(self.ctx.source, None, chosen_from[1].where))
        if chosen_from:
            chosen = chosen_from[0]
        elif known:
            chosen = max(known, key=lambda r: _med_start(r) or dt.datetime.min)
        else:
            raise InputError(f"imatinib appears only in {', '.join(r.ref for r in imatinib)} with status "
                             f"{', '.join(sorted({str(r.model.status) for r in imatinib}))}, which says nothing about what the patient takes",
                             Location(self.ctx.source, None, imatinib[0].where))
        status = _status_of(chosen)
        dose, schedule = _imatinib_dose(chosen, self.ctx)
        out: dict[str, Any] = {"status": status}
        self.trace("imatinib.status", chosen, f"status {chosen.model.status}")
        if dose is not None:
            out["dose_mg"] = dose
            out["schedule"] = schedule
            self.trace("imatinib.dose_mg", chosen, _dosages(chosen)[1] + "[0]")
        elif status in codes.CURRENT:
            raise self.ctx.error(chosen, _dosages(chosen)[1], "no doseQuantity: the current imatinib dose is needed")
        for other in current:
            if other is not chosen and other.type == "MedicationStatement":
                d, _ = _imatinib_dose(other, self.ctx)
                if d is not None and d != dose:
                    self.ctx.warnings.append(f"{other.ref} says imatinib {d} mg/d; the order {chosen.ref} says {dose} mg/d (the order is used)")
        if status == "interrupted":
            self.ctx.notes.append(f"{chosen.ref} is on hold; days since the last dose are not in the Bundle")
        self.state["imatinib"] = out
        starts = [s for s in (_med_start(r) for r in imatinib) if s]
        start = min(starts) if starts else None
        if start is not None and as_of is not None and as_of >= start:
            self.state["day"] = (as_of - start).days
            first = min((r for r in imatinib if _med_start(r)), key=lambda r: _med_start(r))
            self.trace("day", first, f"imatinib since {start.date()}")
        return start

    def map_draft(self) -> dt.datetime | None:
        """order-sign: the draft imatinib order for a patient not yet on it."""
        chosen = self.draft[0]
        dose, schedule = _imatinib_dose(chosen, self.ctx)
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
            if _is_imatinib(cc) or _status_of(r) not in ("taking",):
                continue
            name = _drug_name(cc, r, self.by_ref)
            if name is None:
                self.ctx.warnings.append(f"{r.ref}: a medication without a name or display; left out of co-medications")
                continue
            item: dict[str, Any] = {"drug": name, "class": self.comed_class(name, r)}
            dosages, element = _dosages(r)
            if len(dosages) == 1:
                dose = _dose_mg(dosages[0], r, f"{element}[0]", self.ctx)
                per_day = _per_day(dosages[0], r, f"{element}[0]", self.ctx)
                if dose is not None:
                    item["dose_mg"] = round(dose * (per_day or 1.0), 3)
            start = _med_start(r)
            if start is not None and as_of is not None and as_of >= start:
                item["days_on"] = (as_of - start).days
            self.trace(f"co_medications[{len(out)}]", r)
            out.append(item)
        if out:
            self.state["co_medications"] = out

    def comed_class(self, name: str, r: _Res) -> str:
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
        by_key: dict[str, list[tuple[_Res, dt.datetime | None]]] = {}
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
            by_key.setdefault(key, []).append((r, _observation_when(r.raw)))
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

    def quantity(self, key: str, r: _Res) -> tuple[float, str]:
        q = r.model.valueQuantity
        if q is None or q.value is None:
            reason = _concept_texts(r.model.dataAbsentReason) if r.model.dataAbsentReason else []
            raise self.ctx.error(r, "valueQuantity", f"a {key} result without a numeric value"
                                 + (f" (dataAbsentReason: {reason[0]})" if reason else "") + "; remove it or mark it entered-in-error")
        if q.comparator:
            self.ctx.warnings.append(f"{r.ref}: {key} reported as {q.comparator}{q.value}; read as {q.value}")
        return float(q.value), self.unit(key, r, q, "valueQuantity")

    def unit(self, key: str, r: _Res, q: Any, element: str) -> str:
        raw = q.code or q.unit
        if raw is None:
            raw = ANALYTES[key].canonical
            self.ctx.warnings.append(f"{r.ref}: {element} has no unit; read as {raw}")
        unit = normalise_unit(codes.UCUM_TO_TABLE.get(raw, raw))
        if unit not in ANALYTES[key].conversions:
            raise self.ctx.error(r, f"{element}.code", f"unit {raw!r} is not one the advisor converts for {key}; "
                                 f"accepted: {', '.join(ANALYTES[key].conversions)}")
        return unit

    @staticmethod
    def convert(key: str, value: float, from_unit: str, to_unit: str) -> float:
        if from_unit == to_unit:
            return value
        return float(f"{to_canonical(key, value, from_unit) / to_canonical(key, 1.0, to_unit):.6g}")

    def lab_value(self, key: str, r: _Res) -> dict[str, Any]:
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
        current: dict[str, tuple[dict[str, Any], _Res]] = {}
        history: list[tuple[dict[str, Any], _Res]] = []
        unknown: list[str] = []
        for r in self.of("Condition") + self.of("AdverseEvent"):
            m = r.model
            concept = m.code if r.type == "Condition" else m.event
            term = _term(concept)
            if r.type == "Condition":
                verification = _codes_of(m.verificationStatus)
                if {"refuted", "entered-in-error"} & verification:
                    continue
                clinical = _codes_of(m.clinicalStatus)
                resolved = bool({"resolved", "inactive", "remission"} & clinical)
                trend = None
            else:
                if str(m.actuality) == "potential":
                    continue
                outcome = _codes_of(m.outcome)
                resolved = bool({"resolved", "resolvedWithSequelae"} & outcome)
                trend = "improving" if "recovering" in outcome else None
            if term is None:
                unknown.append(f"{r.ref} ({(_concept_texts(concept) or ['no text'])[0]})")
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

    def grade(self, r: _Res) -> int | None:
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
            self.ctx.notes.append(f"{r.ref}: severity {(_concept_texts(severity) or [c.code for c in severity.coding or ()])} is not a CTCAE grade")
        return g


def _codes_of(cc: Any) -> set[str]:
    if cc is None:
        return set()
    return {str(c.code) for c in cc.coding or () if c.code}


def _term(cc: Any) -> str | None:
    if cc is None:
        return None
    candidates = [c.code for c in cc.coding or () if c.code] + _concept_texts(cc)
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
    ctx = _Ctx(source)
    resources = _entries(bundle, ctx)
    draft = []
    for i, raw in enumerate(draft_orders or ()):
        if isinstance(raw, dict) and raw.get("resourceType") == "MedicationRequest":
            r = _validate(raw, f"draftOrders[{i}]", ctx)
            if _is_imatinib(_medication_concept(r, {})):
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
