"""Reading a FHIR Bundle: its resources (validated with fhir.resources on first use), their
reference labels, and the dates and codes the mapping chooses by."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, Location
from . import codes

BUNDLE_TYPES = ("collection", "searchset", "document", "batch-response", "transaction-response")
USED_TYPES = ("Patient", "Observation", "MedicationRequest", "MedicationStatement", "Medication", "Condition", "AdverseEvent")
GOOD_OBSERVATION = ("final", "amended", "corrected")


@dataclass
class Resource:
    """One resource of the Bundle: raw JSON, reference label and entry position; its typed
    model is validated on first use, so resources the mapping only looks past (an older lab
    value among hundreds) cost no validation."""

    raw: dict
    ref: str
    where: str
    ctx: "Context"
    _model: Any = None

    @property
    def type(self) -> str:
        return self.raw["resourceType"]

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = validate_model(self.raw, self.ref, self.where, self.ctx)
        return self._model

    def subject(self) -> str | None:
        subject = self.raw.get("subject")
        ref = subject.get("reference") if isinstance(subject, dict) else None
        return ref if isinstance(ref, str) else None


@dataclass
class Context:
    source: str
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, res: Resource | None, element: str, message: str) -> InputError:
        who = f"{res.ref}: {element}: " if res is not None else ""
        path = f"{res.where}.{element}" if res is not None else element
        return InputError(f"{who}{message}", Location(self.source, None, path))


def model_class(kind: str):
    from fhir.resources.R4B import get_fhir_model_class  # heavy: imported only when a Bundle is read

    return get_fhir_model_class(kind)


def wrap(raw: dict, where: str, ctx: Context) -> Resource:
    kind = raw["resourceType"]
    ref = f"{kind}/{raw['id']}" if isinstance(raw.get("id"), str) else f"{kind} at {where}"
    return Resource(raw, ref, where, ctx)


def validate_model(raw: dict, ref: str, where: str, ctx: Context) -> Any:
    from pydantic import ValidationError

    try:
        return model_class(raw["resourceType"]).model_validate(raw)
    except ValidationError as exc:
        problems = [f"{ref}: {'.'.join(str(p) for p in e['loc']) or '(resource)'}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()]
        if len(problems) == 1:
            raise InputError(problems[0], Location(ctx.source, None, where)) from None
        raise InputError(f"{len(problems)} problems in {ref}", Location(ctx.source, None, where), problems) from None


# --------------------------------------------------------------------------- reading the Bundle
def entries(bundle: dict, ctx: Context) -> list[Resource]:
    kind = bundle.get("type")
    if kind not in BUNDLE_TYPES:
        raise InputError(f"Bundle.type is {kind!r}; expected one of {', '.join(BUNDLE_TYPES)}", Location(ctx.source, None, "type"))
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be a list of entries", Location(ctx.source, None, "entry"))
    out: list[Resource] = []
    ignored: dict[str, int] = {}
    for i, e in enumerate(entries):
        where = f"entry[{i}].resource"
        raw = e.get("resource") if isinstance(e, dict) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise InputError("each entry needs a resource with a resourceType", Location(ctx.source, None, f"entry[{i}]"))
        kind = raw["resourceType"]
        if kind == "Bundle":  # a prefetch search result nested in a collection
            out.extend(entries({"type": raw.get("type", "searchset"), "entry": raw.get("entry")}, ctx))
            continue
        if kind not in USED_TYPES:
            if kind != "OperationOutcome":
                ignored[kind] = ignored.get(kind, 0) + 1
            continue
        if kind == "Observation" and not relevant_observation(raw):
            ignored["Observation (code not used)"] = ignored.get("Observation (code not used)", 0) + 1
            continue
        out.append(wrap(raw, where, ctx))
    if ignored:
        ctx.warnings.append("FHIR resources not used by the advisor: " + ", ".join(f"{n} {k}" for k, n in sorted(ignored.items())))
    return out


def loinc_codes(raw_code: Any) -> list[str]:
    codings = raw_code.get("coding") if isinstance(raw_code, dict) else None
    return [c.get("code") for c in codings or () if isinstance(c, dict) and c.get("system") == codes.LOINC]


def relevant_observation(raw: dict) -> bool:
    found = loinc_codes(raw.get("code"))
    return any(c in codes.LAB_LOINC or c in codes.WEIGHT_LOINC for c in found)


# --------------------------------------------------------------------------- dates
def to_datetime(value: Any) -> dt.datetime | None:
    """A FHIR date, dateTime or partial date as a naive UTC datetime (for ordering and ages)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    text = str(value)
    try:
        return to_datetime(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    parts = text.split("-")
    try:
        return dt.datetime(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
    except ValueError:
        return None


def observation_when(raw: dict) -> dt.datetime | None:
    """When an Observation was made, read from its raw JSON (to choose before validating)."""
    period = raw.get("effectivePeriod") if isinstance(raw.get("effectivePeriod"), dict) else {}
    for value in (raw.get("effectiveDateTime"), raw.get("effectiveInstant"), period.get("end"), period.get("start"), raw.get("issued")):
        if isinstance(value, str) and (moment := to_datetime(value)) is not None:
            return moment
    return None


def concept_texts(cc: Any) -> list[str]:
    if cc is None:
        return []
    out = [cc.text] if cc.text else []
    out += [c.display for c in cc.coding or () if c.display]
    return out


def codes_of(cc: Any) -> set[str]:
    if cc is None:
        return set()
    return {str(c.code) for c in cc.coding or () if c.code}
