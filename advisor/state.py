"""The patient state (docs/contract/patient-state.md) as strict, immutable models."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import vocab
from .errors import InputError, Location, path_to_str
from .kinds import expect_kind
from .units import ANALYTES, REFERENCE_SPREAD, TYPICAL_LLN, TYPICAL_ULN, accepted_units, normalise_unit, spell_unit, to_canonical
from .yamlio import Document, expect_mapping, read_document

LADDER_DOSES = (100, 200, 300, 400, 600, 800)
# The largest daily dose in use per class, in mg: above it a value is a slip (a unit, a zero),
# not a regimen. Corticosteroid: a methylprednisolone pulse is 1 g/d.
MAX_DAILY_MG = {"systemic_corticosteroid": 1000.0, "antihistamine": 1000.0, "ursodeoxycholic_acid": 3000.0}

# The closed vocabularies live in vocab.py; the models take their types from there.
Sex = Literal[vocab.SEXES]  # type: ignore[valid-type]
Indication = Literal[vocab.INDICATIONS]  # type: ignore[valid-type]
Risk = Literal[vocab.RISKS]  # type: ignore[valid-type]
Mutation = Literal[vocab.MUTATIONS]  # type: ignore[valid-type]
Status = Literal[vocab.STATUSES]  # type: ignore[valid-type]
Schedule = Literal[vocab.SCHEDULES]  # type: ignore[valid-type]
Trend = Literal[vocab.TRENDS]  # type: ignore[valid-type]
Outcome = Literal[vocab.OUTCOMES]  # type: ignore[valid-type]
ResponseStatus = Literal[vocab.RESPONSE_STATUSES]  # type: ignore[valid-type]
Progression = Literal[vocab.PROGRESSIONS]  # type: ignore[valid-type]
Criteria = Literal[vocab.CRITERIA]  # type: ignore[valid-type]
ComedClass = Literal[vocab.COMED_CLASSES]  # type: ignore[valid-type]
HepaticImpairment = Literal[vocab.HEPATIC_IMPAIRMENT]  # type: ignore[valid-type]
Attribution = Literal[vocab.ATTRIBUTIONS]  # type: ignore[valid-type]
SurgeryStatus = Literal[vocab.SURGERY_STATUSES]  # type: ignore[valid-type]
Resection = Literal[vocab.RESECTIONS]  # type: ignore[valid-type]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, v: Any, info: Any) -> Any:
        # lax mode would read `grade: true` as grade 1; a yes/no is never a number here
        if isinstance(v, bool) and info.field_name and not _allows_bool(cls.model_fields[info.field_name].annotation):
            raise ValueError(f"expected a number or text, got {str(v).lower()} (a yes/no value)")
        return v


def _allows_bool(ann: Any) -> bool:
    return ann is bool or ann is Any or any(_allows_bool(a) for a in getattr(ann, "__args__", ()) or ())


def _needs_name(term: str, specify: str | None) -> None:
    # an "Other, specify" event without its name would reach the clinician as an anonymous area
    if term in vocab.OTHER_SPECIFY and not specify:
        raise ValueError(f"{term} is CTCAE's 'Other, specify': name the event in `specify` (e.g. specify: Sweet syndrome)")


def _term(value: str) -> str:
    if value not in vocab.AE_TERMS:
        raise ValueError(vocab.not_accepted("adverse event term", value, vocab.AE_TERMS,
                                            "`advisor schema state` (the enum of term; CTCAE v5 names in snake_case)",
                                            vocab.suggest_term(value)))
    return value


def _on_ladder(value: int | None) -> int | None:
    if value is not None and value not in LADDER_DOSES:
        raise ValueError(f"{value} mg is not on the imatinib dose ladder; expected one of {', '.join(map(str, LADDER_DOSES))} (mg per day)")
    return value


class Patient(_Strict):
    age: int | None = Field(None, ge=0, le=120, description="age in years")
    sex: Sex | None = Field(None, description="sex")
    weight_kg: Finite | None = Field(None, gt=0, le=400, description="body weight in kg (for weight-based steroid doses)")
    # contract additions for the label's special populations (docs/vocabulary-additions.md)
    creatinine_clearance_ml_min: Finite | None = Field(None, ge=0, le=250, description="measured or clinician-estimated CrCl in mL/min")
    hepatic_impairment: HepaticImpairment | None = Field(None, description="liver impairment before imatinib (NCI ODWG class), not a drug reaction")
    pregnant: bool | None = Field(None, description="the patient is pregnant")
    breastfeeding: bool | None = Field(None, description="the patient is breastfeeding")
    planning_pregnancy: bool | None = Field(None, description="the patient (or the patient's partner) wishes to conceive soon")


class Surgery(_Strict):
    """The operation planned before imatinib stops (pre-operative) or already done."""
    status: SurgeryStatus = Field(description="planned (pre-operative) or done")
    days_until: int | None = Field(None, ge=0, le=3650, description="when planned: days until the operation")
    days_since: int | None = Field(None, ge=0, le=36500, description="when done: days since the operation")
    rupture: bool | None = Field(None, description="the tumour ruptured before or during the operation")
    resection: Resection | None = Field(None, description="margin status of the resection (r0, r1, r2)")

    @model_validator(mode="after")
    def _coherent(self) -> "Surgery":
        if self.status == "planned" and self.days_since is not None:
            raise ValueError("days_since is for an operation already done; status is planned (in a scenario an earlier "
                             "step's days_since carries over: remove it with days_since: null)")
        if self.status == "done" and self.days_until is not None:
            raise ValueError("days_until is for a planned operation; status is done (in a scenario an earlier step's "
                             "days_until carries over: remove it with days_until: null)")
        return self


class Imatinib(_Strict):
    status: Status = Field(description="whether the patient takes imatinib now")
    dose_mg: int | None = Field(None, description="the current daily dose in mg (total per day), or the last one taken when "
                                "interrupted; on the ladder 100, 200, 300, 400, 600, 800; required when taking or interrupted")
    schedule: Schedule = Field("daily", description="how the daily dose is taken")
    days_interrupted: int | None = Field(None, ge=0, le=36500, description="when interrupted: days since the last dose")
    # dose history (contract additions)
    highest_tolerated_mg: int | None = Field(None, description="the highest ladder dose imatinib was tolerated at")
    not_tolerated_mg: tuple[int, ...] = Field((), description="ladder doses at which imatinib was not tolerated")
    escalation_tried: bool | None = Field(None, description="the dose was escalated above 400 mg/d earlier")
    progressed_on_imatinib: bool | None = Field(None, description="the tumour has grown on imatinib before (primary or "
                                                "secondary resistance), in this or an earlier setting")

    _check_dose = field_validator("dose_mg", "highest_tolerated_mg")(_on_ladder)

    @field_validator("not_tolerated_mg")
    @classmethod
    def _doses_on_ladder(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        for mg in v:
            _on_ladder(mg)
        return v

    @model_validator(mode="after")
    def _coherent(self) -> "Imatinib":
        if self.dose_mg is None and self.status in ("taking", "interrupted"):
            raise ValueError(f"dose_mg is required when status is {self.status} (the current or last dose)")
        if self.schedule == "every_other_day" and self.dose_mg not in (None, 100):
            raise ValueError("every_other_day is only used for 100 mg (the bottom of the ladder)")
        if self.days_interrupted is not None and self.status in ("taking", "not_started"):
            raise ValueError(f"days_interrupted is given but status is {self.status}; set status to interrupted "
                             "(it counts the days since the last dose of an interrupted course)")
        return self


class AdverseEvent(_Strict):
    term: str = Field(description="the CTCAE v5 term, in snake_case")
    grade: int = Field(ge=1, le=5, description="CTCAE v5 grade as the clinician assesses it now (for lab terms the "
                       "grade is derived from the value when the lab is given)")
    trend: Trend | None = Field(None, description="how the event is changing")
    features: tuple[Literal[tuple(vocab.FEATURES)], ...] = Field((), description="qualifiers of the event")  # type: ignore[valid-type]
    recurrence: bool = Field(False, description="true when the event came back after imatinib was restarted")
    attribution: Attribution = Field("unknown", description="imatinib (drug), the tumour itself (disease), another cause, or unknown")
    specify: str | None = Field(None, min_length=1, max_length=120, description="the event's own name, for CTCAE's "
                                "'Other, specify' terms (`*_disorder_other`, where it is required)")

    _check_term = field_validator("term")(_term)

    @model_validator(mode="after")
    def _grade_range(self) -> "AdverseEvent":
        hi = vocab.MAX_GRADE.get(self.term, 5)
        lo = vocab.MIN_GRADE.get(self.term, 1)
        if not lo <= self.grade <= hi:
            raise ValueError(f"CTCAE v5 grades {self.term} from {lo} to {hi}; got {self.grade}")
        _needs_name(self.term, self.specify)
        return self


class Lab(_Strict):
    value: Finite = Field(description="the measured value, in `unit`")
    unit: str | None = Field(None, description="the unit as written; converted to the canonical unit when another accepted "
                             "one is given; absent means the canonical unit")
    uln: Finite | None = Field(None, gt=0, description="upper limit of normal of the reporting lab, in the same unit as value")
    lln: Finite | None = Field(None, ge=0, description="lower limit of normal, in the same unit as value")
    baseline: Finite | None = Field(None, ge=0, description="the patient's value before imatinib, in the same unit as value")

    @field_validator("unit")
    @classmethod
    def _spelling(cls, v: str | None) -> str | None:
        return normalise_unit(v) if v is not None else None


class Comedication(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    drug: str = Field(min_length=1, max_length=80, description="the drug's name")
    dose_mg: Finite | None = Field(None, ge=0, le=10_000, description="daily dose in mg")
    class_: ComedClass = Field("other", alias="class", description="the class the rules reason about")
    days_on: int | None = Field(None, ge=0, le=36500, description="days the patient has been on this drug (addition to the spec)")
    stopped_days_ago: int | None = Field(None, ge=0, le=36500, description="the drug was stopped this many days ago (listed "
                                         "because its effect on imatinib exposure may linger or a dose was set for it)")

    @model_validator(mode="after")
    def _plausible_dose(self) -> "Comedication":
        most = MAX_DAILY_MG.get(self.class_)
        if most is not None and self.dose_mg is not None and self.dose_mg > most:
            raise ValueError(f"{self.drug} {self.dose_mg:g} mg/d is above any {self.class_.replace('_', ' ')} dose "
                             f"in use (at most {most:g} mg/d); check the value and that it is per day")
        return self


class Response(_Strict):
    status: ResponseStatus = Field("not_assessed", description="the tumour's status at this point")
    progression: Progression | None = Field(None, description="with progressive_disease: how far it extends")
    criteria: Criteria | None = Field(None, description="how the response was assessed")

    @model_validator(mode="after")
    def _progression_only_with_pd(self) -> "Response":
        if self.progression in ("limited", "generalized") and self.status != "progressive_disease":
            raise ValueError(f"progression '{self.progression}' needs status progressive_disease (status is {self.status})")
        return self


class HistoryItem(_Strict):
    term: str = Field(description="the CTCAE v5 term of the earlier episode")
    grade: int | None = Field(None, ge=1, le=5, description="the worst CTCAE v5 grade the episode reached")
    dose_mg: int | None = Field(None, description="the daily dose (on the ladder) at which it happened")
    outcome: Outcome | None = Field(None, description="how the episode ended")
    # addition to the spec: the episode's qualifiers (an exfoliative rash stays exfoliative in history)
    features: tuple[Literal[tuple(vocab.FEATURES)], ...] = Field((), description="the episode's qualifiers")  # type: ignore[valid-type]
    specify: str | None = Field(None, min_length=1, max_length=120, description="the event's own name, for CTCAE's "
                                "'Other, specify' terms (`*_disorder_other`, where it is required)")

    _check_term = field_validator("term")(_term)

    @model_validator(mode="after")
    def _named(self) -> "HistoryItem":
        _needs_name(self.term, self.specify)
        return self

    _check_dose = field_validator("dose_mg")(_on_ladder)


class PriorLine(_Strict):
    """A line of treatment other than imatinib that the patient has had (contract addition)."""
    drug: Literal[vocab.PRIOR_LINE_DRUGS] = Field(description="the drug of that line")  # type: ignore[valid-type]
    outcome: Literal[vocab.PRIOR_LINE_OUTCOMES] = Field(description="how that line ended, or that it goes on")  # type: ignore[valid-type]


class PatientState(_Strict):
    patient: Patient = Field(Patient(), description="who the patient is")
    indication: Indication | None = Field(None, description="why imatinib is given")
    risk: Risk | None = Field(None, description="adjuvant only: the risk of recurrence after resection")
    mutation: Mutation | None = Field(None, description="the tumour's KIT or PDGFRA genotype")
    day: int | None = Field(None, ge=0, le=36500, description="days since imatinib was first started")
    imatinib: Imatinib = Field(description="the imatinib treatment now; every state gives it")
    adverse_events: tuple[AdverseEvent, ...] = Field((), description="adverse events now, graded by the clinician")
    labs: dict[str, Lab] = Field(default_factory=dict, description="measured lab values by analyte; the grades of lab-based "
                                 "adverse events are derived from them")
    findings: tuple[Literal[tuple(vocab.FINDINGS)], ...] = Field((), description="workup results")  # type: ignore[valid-type]
    co_medications: tuple[Comedication, ...] = Field((), description="what the patient takes now besides imatinib")
    response: Response | None = Field(None, description="the tumour's status now")
    history: tuple[HistoryItem, ...] = Field((), description="earlier adverse-event episodes that shape what is safe now")
    surgery: Surgery | None = Field(None, description="the operation planned (pre-operative) or done")
    prior_lines: tuple[PriorLine, ...] = Field((), description="lines of treatment other than imatinib the patient has had "
                                               "(sunitinib, regorafenib, ...), with how each ended")

    @field_validator("labs")
    @classmethod
    def _known_analytes(cls, v: dict[str, Lab]) -> dict[str, Lab]:
        for key in v:
            if key not in ANALYTES:
                raise ValueError(unknown_lab_message(key))
        # a unit's spelling depends on the analyte: g/L is grams for hemoglobin, G/L giga for counts
        return {k: lab.model_copy(update={"unit": spell_unit(k, lab.unit)}) if lab.unit else lab for k, lab in v.items()}


# What clinicians and lab systems call the analytes (case and punctuation folded).
LAB_SYNONYMS = {
    "neutrophils": "anc", "neut": "anc", "neutrophil": "anc", "absolute_neutrophil_count": "anc",
    "plt": "platelets", "platelet": "platelets", "thrombocytes": "platelets", "hb": "hemoglobin", "hgb": "hemoglobin",
    "haemoglobin": "hemoglobin", "bilirubin": "bilirubin_total", "tbil": "bilirubin_total", "total_bilirubin": "bilirubin_total",
    "dbil": "bilirubin_direct", "direct_bilirubin": "bilirubin_direct", "conjugated_bilirubin": "bilirubin_direct",
    "cr": "creatinine", "creat": "creatinine", "scr": "creatinine", "temp": "temperature_c", "temperature": "temperature_c",
    "k": "potassium", "ca": "calcium", "mg": "magnesium", "phos": "phosphate", "phosphorus": "phosphate", "cpk": "ck",
    "creatine_kinase": "ck", "eos": "eosinophils", "eosinophil": "eosinophils", "lymph": "lymphocytes", "lymphs": "lymphocytes",
    "leukocytes": "wbc", "leucocytes": "wbc", "white_cells": "wbc", "gamma_gt": "ggt", "sgpt": "alt", "sgot": "ast",
    "alkaline_phosphatase": "alp", "alk_phos": "alp", "alb": "albumin", "pt_inr": "inr",
}


def unknown_lab_message(key: Any) -> str:
    folded = str(key).strip().lower().replace(" ", "_").replace("-", "_")
    hint = folded if folded in ANALYTES else LAB_SYNONYMS.get(folded)
    close = f" (did you mean '{hint}'?)" if hint else vocab.suggest(folded, ANALYTES)
    return f"unknown lab '{key}'{close}; accepted: {', '.join(ANALYTES)}"


def lab_key_problems(data: dict, doc: Document, base: tuple = ()) -> list[Problem]:
    """Every unknown lab key, each at its own line, before the model sees the labs."""
    labs = data.get("labs")
    if not isinstance(labs, dict):
        return []
    return [(doc.location(base + ("labs", key)), unknown_lab_message(key)) for key in labs if key not in ANALYTES]


def friendly_message(err: dict[str, Any], model_fields: dict[tuple, list[str]]) -> str:
    kind = err["type"]
    msg = err["msg"]
    loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        known = model_fields.get(loc[:-1], [])
        return f"unknown key '{loc[-1]}'{vocab.suggest_key(loc[-1], known)}" + (f"; expected one of: {', '.join(known)}" if known else "")
    if kind == "missing":
        return "is required but missing"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        got = err.get("input")
        close = vocab.suggest(got, [e.strip().strip("'") for e in str(expected).replace(" or ", ", ").split(",")])
        return f"'{got}' is not allowed{close}; expected {expected}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if kind in ("tuple_type", "list_type"):  # "tuple" is pydantic's word, not the user's
        return f"expected a list (got {err.get('input')!r})"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{msg[:1].lower()}{msg[1:]} (got {err.get('input')!r})"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "bool_parsing", "bool_type", "string_type", "dict_type", "model_type"):
        return f"{msg.lower()} (got {err.get('input')!r})"
    return msg


def _fields_index(model: type[BaseModel], prefix: tuple = (), out: dict | None = None) -> dict[tuple, list[str]]:
    """Map model paths to their accepted keys, for 'did you mean' on unknown keys."""
    out = {} if out is None else out
    names = [f.alias or n for n, f in model.model_fields.items()]
    out[prefix] = names
    for name, field in model.model_fields.items():
        ann = field.annotation
        for sub in _submodels(ann):
            _fields_index(sub, prefix + (field.alias or name,), out)
    return out


def _submodels(ann: Any) -> list[type[BaseModel]]:
    found = []
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    for arg in getattr(ann, "__args__", ()) or ():
        found.extend(_submodels(arg))
    return found


Problem = tuple[Location, str]


def validation_problems(exc: ValidationError, doc: Document, model: type[BaseModel], base: tuple = ()) -> list[Problem]:
    """Pydantic's errors as (location, message) pairs naming file, line and key path."""
    index = _fields_index(model)
    out = []
    for err in exc.errors():
        rel = _normalise_loc(tuple(err["loc"]))
        out.append((doc.location(base + rel), friendly_message(err, index | _wildcard(index, rel))))
    return out


def problems_error(problems: list[Problem], doc: Document, what: str = "") -> InputError:
    """One InputError for every problem found, so a file is fixed in one round, not several."""
    problems = sorted(problems, key=lambda p: p[0].line or 0)  # in file order
    if len(problems) == 1:
        return InputError(problems[0][1], problems[0][0])
    return InputError(f"{len(problems)} problems in {what or 'the file'}", Location(doc.source),
                      [f"{where}: {message}" for where, message in problems], tuple(where.line for where, _ in problems))


def validation_to_error(exc: ValidationError, doc: Document, model: type[BaseModel], base: tuple = (), what: str = "") -> InputError:
    """Turn pydantic's errors into one InputError that names file, line and key path of each."""
    return problems_error(validation_problems(exc, doc, model, base), doc, what)


def _normalise_loc(loc: tuple) -> tuple:
    # drop pydantic's union/function tags such as 'function-after[...]'
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p and p.endswith("]"))))


def _wildcard(index: dict, rel: tuple) -> dict:
    """Index entries for paths with list positions or dict keys (labs.alt, adverse_events[0])."""
    out = {}
    parent = rel[:-1]
    generic = tuple(p for p in parent if not isinstance(p, int))
    if generic in index:
        out[parent] = index[generic]
    if len(generic) == 2 and generic[0] == "labs":
        out[parent] = list(Lab.model_fields)
    return out


def lab_problems(state: PatientState, doc: Document, base: tuple = ()) -> Iterator[Problem]:
    """Units must be accepted ones and values physiologically possible (after conversion)."""
    for key, lab in state.labs.items():
        yield from _one_lab_problems(key, lab, doc, base + ("labs", key))


def _one_lab_problems(key: str, lab: Lab, doc: Document, path: tuple) -> Iterator[Problem]:
    analyte = ANALYTES[key]
    unit = lab.unit or analyte.canonical
    if unit not in analyte.conversions:
        yield doc.location(path + ("unit",)), f"unit '{lab.unit}' is not accepted for {key}; accepted: {', '.join(accepted_units(key))}"
        return
    value = to_canonical(key, lab.value, unit)
    lo, hi = analyte.plausible
    if not (lo <= value <= hi) or math.isnan(value):
        hint = "check the value and unit"
        if lab.unit is None:
            fits = [u for u in accepted_units(key) if u != unit and lo <= to_canonical(key, lab.value, u) <= hi]
            hint = ("no unit was given, so it was read as " + analyte.canonical
                    + (f"; if it is in {' or '.join(fits)}, say so with unit:" if fits else "; give the unit"))
        yield (doc.location(path + ("value",)),
               f"{key} {lab.value} {unit} is outside what is physiologically possible ({lo:g}-{hi:g} {analyte.canonical}); {hint}")
    for ref in ("uln", "lln", "baseline"):
        ref_value = getattr(lab, ref)
        if ref_value is not None and not (lo <= to_canonical(key, ref_value, unit) <= hi):
            yield doc.location(path + (ref,)), f"{key} {ref} {ref_value} {unit} is outside what is possible"
    if key != "temperature_c":
        factor = to_canonical(key, 1.0, unit)  # the other conversions are linear
        for ref, typical in (("uln", TYPICAL_ULN.get(key)), ("lln", TYPICAL_LLN.get(key))):
            ref_value = getattr(lab, ref)
            if ref_value is None or typical is None:
                continue
            if not typical / REFERENCE_SPREAD <= ref_value * factor <= typical * REFERENCE_SPREAD:
                yield (doc.location(path + (ref,)),
                       f"{key} {ref} {ref_value:g} {unit} is implausible as a reference limit (typically about "
                       f"{round(typical / factor, 3):g} {unit}); {ref} must be in the same unit as value")
    if lab.uln is not None and lab.lln is not None and lab.lln >= lab.uln:
        yield doc.location(path + ("lln",)), f"{key}: lln ({lab.lln}) must be below uln ({lab.uln})"


def _well_formed_lab_problems(data: dict, doc: Document, base: tuple) -> list[Problem]:
    """Unit and range problems of the labs that are well formed, when something else in the
    state is not: all of a file's problems are reported in one round."""
    labs = data.get("labs")
    out: list[Problem] = []
    for key, raw in (labs.items() if isinstance(labs, dict) else ()):
        if key not in ANALYTES:
            continue
        try:
            lab = Lab.model_validate(raw)
        except ValidationError:
            continue  # pydantic has reported it
        if lab.unit:
            lab = lab.model_copy(update={"unit": spell_unit(key, lab.unit)})
        out += _one_lab_problems(key, lab, doc, base + ("labs", key))
    return out


def repeated_term_problems(state: PatientState, doc: Document, base: tuple = ()) -> Iterator[Problem]:
    """Two entries for one term would let the milder one speak for the event."""
    seen: set[str] = set()
    for i, ae in enumerate(state.adverse_events):
        if ae.term in seen:
            yield (doc.location(base + ("adverse_events", i, "term")),
                   f"{ae.term} is listed twice; give each event once, with its current grade (earlier episodes go in history)")
        seen.add(ae.term)


def bilirubin_fraction_problems(state: PatientState, doc: Document, base: tuple = ()) -> Iterator[Problem]:
    """Direct (conjugated) bilirubin is part of the total: a larger direct value is a slip."""
    total, direct = state.labs.get("bilirubin_total"), state.labs.get("bilirubin_direct")
    if total is None or direct is None:
        return
    accepted = ANALYTES["bilirubin_total"].conversions
    if (total.unit or "mg/dL") not in accepted or (direct.unit or "mg/dL") not in accepted:
        return  # the unit problem is reported on its own
    t = to_canonical("bilirubin_total", total.value, total.unit or "mg/dL")
    d = to_canonical("bilirubin_direct", direct.value, direct.unit or "mg/dL")
    if d > t * 1.0001:
        yield (doc.location(base + ("labs", "bilirubin_direct", "value")),
               f"bilirubin_direct ({direct.value:g} {direct.unit or 'mg/dL'}) is above bilirubin_total "
               f"({total.value:g} {total.unit or 'mg/dL'}); direct bilirubin is part of the total: check both values and units")


def state_from_data(data: Any, doc: Document, base: tuple = ()) -> PatientState:
    if not isinstance(data, dict):
        raise InputError("expected a mapping (a patient state)", doc.location(base))
    problems = lab_key_problems(data, doc, base)
    try:
        state = PatientState.model_validate(data)
    except ValidationError as exc:
        found = validation_problems(exc, doc, PatientState, base)
        # the unknown lab keys are already reported, each at its own line
        problems += [p for p in found if not (problems and p[1].startswith("unknown lab '"))]
        problems += _well_formed_lab_problems(data, doc, base)
        raise problems_error(problems, doc, "the patient state") from None
    problems += [*lab_problems(state, doc, base), *bilirubin_fraction_problems(state, doc, base),
                 *repeated_term_problems(state, doc, base)]
    if problems:
        raise problems_error(problems, doc, "the patient state")
    return state


def state_from_document(doc: Document) -> PatientState:
    """A parsed state file as a validated state; a scenario, rulebook or FHIR resource is named as such."""
    data = expect_mapping(doc, "a patient state with at least 'imatinib'")
    expect_kind(data, "state", doc.source)
    return state_from_data(data, doc)


def load_state(path: str | os.PathLike) -> PatientState:
    return state_from_document(read_document(path))


def state_to_data(state: PatientState) -> dict:
    """The state as plain data in the file format (for saving and round trips)."""
    return state.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=False)
