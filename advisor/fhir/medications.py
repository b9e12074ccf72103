"""Medication orders and statements: is it imatinib, its daily dose and schedule, status, start."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import codes
from .bundle import Context, Resource, concept_texts, to_datetime


def medication_concept(res: Resource, by_ref: dict[str, Resource]) -> Any:
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


def is_imatinib(cc: Any) -> bool:
    if cc is None:
        return False
    if any(c.system == codes.RXNORM and c.code in codes.IMATINIB_RXNORM for c in cc.coding or ()):
        return True
    return any(codes.IMATINIB_WORDS.search(t) for t in concept_texts(cc))


def drug_name(cc: Any, res: Resource, by_ref: dict[str, Resource]) -> str | None:
    texts = concept_texts(cc)
    if not texts and getattr(res.model, "medicationReference", None) is not None:
        texts = [res.model.medicationReference.display] if res.model.medicationReference.display else []
    return texts[0][:80] if texts else None


def dosage_list(res: Resource) -> tuple[list[Any], str]:
    m = res.model
    if res.type == "MedicationRequest":
        return list(m.dosageInstruction or ()), "dosageInstruction"
    return list(m.dosage or ()), "dosage"


_PERIOD_DAYS = {"s": 1 / 86400, "min": 1 / 1440, "h": 1 / 24, "d": 1.0, "wk": 7.0, "mo": 30.0, "a": 365.0}
_TIMING_CODES = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "QOD": 0.5, "AM": 1.0, "PM": 1.0}


def doses_per_day(dosage: Any, res: Resource, element: str, ctx: Context) -> float | None:
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
        raise ctx.error(res, f"{element}.timing.code", f"timing {concept_texts(timing.code) or '(no code)'} is not one the advisor reads "
                        "(QD, BID, QOD or timing.repeat frequency/period)")
    return None


def dose_mg(dosage: Any, res: Resource, element: str, ctx: Context) -> float | None:
    for k, dr in enumerate(dosage.doseAndRate or ()):
        q = dr.doseQuantity
        if q is None:
            continue
        unit = q.code or q.unit
        if unit not in ("mg", "g"):
            raise ctx.error(res, f"{element}.doseAndRate[{k}].doseQuantity", f"dose unit {unit!r} is not a mass; expected mg")
        return float(q.value) * (1000 if unit == "g" else 1)
    return None


def imatinib_dose(res: Resource, ctx: Context) -> tuple[int | None, str]:
    """Daily dose in mg and the schedule (daily, twice_daily, every_other_day) from the dosage."""
    dosages, name = dosage_list(res)
    if not dosages:
        return None, "daily"
    if len(dosages) > 1:
        raise ctx.error(res, name, f"{len(dosages)} dosage instructions; expected one (a tapering or split regimen is not read)")
    element = f"{name}[0]"
    dose = dose_mg(dosages[0], res, element, ctx)
    if dose is None:
        return None, "daily"
    per_day = doses_per_day(dosages[0], res, element, ctx)
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


def med_start(res: Resource) -> dt.datetime | None:
    m = res.model
    if res.type == "MedicationStatement":
        period = m.effectivePeriod
        return to_datetime(m.effectiveDateTime) or (to_datetime(period.start) if period else None)
    validity = m.dispenseRequest.validityPeriod if m.dispenseRequest and m.dispenseRequest.validityPeriod else None
    return (to_datetime(validity.start) if validity else None) or to_datetime(m.authoredOn)


def status_of(res: Resource) -> str | None:
    status = str(res.model.status)
    table = codes.REQUEST_STATUS if res.type == "MedicationRequest" else codes.STATEMENT_STATUS
    return table.get(status)
