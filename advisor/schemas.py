"""JSON Schemas for editors: the state file, the scenario file and the rulebook.

The state schema is PatientState's own. The scenario and rulebook files are read by
hand-written loaders (advisor/scenarios.py, advisor/rulebook.py) that report file:line
problems; the models here mirror those formats so that an editor can complete and check
keys while typing. The loaders stay the authority: a file that passes the schema can still
fail to load (an unknown evidence id, a field a fact type lacks in a nested test).
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import vocab
from .conditions import OPS
from .facts import FACT_TYPES
from .rulebook import AREAS, LADDER_BASES, RULE_ID
from .state import Patient, PatientState
from .units import ANALYTES

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
ActionCode = Literal[tuple(vocab.ACTIONS)]  # type: ignore[valid-type]
RuleActionCode = Literal[tuple(vocab.ACTIONS)]  # type: ignore[valid-type]  # rules may hand a decision to the clinician
Codes = ActionCode | list[ActionCode]  # type: ignore[valid-type]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- scenario files (docs/contract/scenarios.md) -----------------------------------------


class Case(_Model):
    id: str = Field(min_length=1, description="unique case id across the scenario files")
    title: str | None = Field(None, description="a one-line title")
    evidence: str | None = Field(None, description="evidence id (in the rulebook) of the report the case reproduces")


class Expect(_Model):
    actions: Codes | None = Field(None, description="action codes the advice must include")
    not_: Codes | None = Field(None, alias="not", description="action codes the advice must not include")
    dose_mg: int | None = Field(None, gt=0, le=1600, description="the dose of the dosing decision, mg per day")
    cites: str | list[str] | None = Field(None, description="evidence ids the advice must cite")
    fired: str | list[str] | None = Field(None, description="rule ids that must fire")
    not_fired: str | list[str] | None = Field(None, description="rule ids that must not fire")
    params: dict[str, Any] | None = Field(None, description="parameters the dosing decision must carry, e.g. {drug: avapritinib}")


class Step(_Model):
    id: str = Field(min_length=1, description="the step's id, unique within the file")
    day: int | None = Field(None, ge=0, description="days since imatinib was first started (becomes the state's day)")
    summary: str | None = Field(None, description="what happened at this point, in a sentence")
    state: dict[str, Any] | None = Field(None, description="merged over the previous step's state (mappings key by key)")
    expect: Expect = Field(description="what the advice must (and must not) contain at this step")
    deviation: str | None = Field(None, min_length=1, description="why the treating team departed from the rules")


class ScenarioFile(_Model):
    case: Case = Field(description="which case the file replays")
    patient: Patient | None = Field(None, description="the patient, the same at every step (merged under the first step's state)")
    steps: list[Step] = Field(min_length=1, description="the decision points, in time order")


# -- rulebooks (docs/rulebook-format.md) -------------------------------------------------

EvidenceKind = Literal["label", "guideline", "case_report", "trial", "terminology", "review"]


class RulebookMeta(_Model):
    id: str = Field(description="the rulebook's id, shown with every piece of advice")
    version: str | int | float = Field(description="the rulebook's version")
    title: str = Field(description="a one-line title")


class EvidenceEntry(_Model):
    title: str = Field(description="what the source is about, in a line")
    kind: EvidenceKind = Field(description="the kind of source")
    citation: str = Field(description="the bibliographic reference (authors, journal, year, volume, pages, doi)")
    url: str | None = Field(None, description="where to read it")


class LadderStep(_Model):
    dose_mg: int = Field(gt=0, le=800, description="daily dose in mg")
    schedule: Literal[vocab.SCHEDULES] = Field("daily", description="how that dose is taken")  # type: ignore[valid-type]


class Dosing(_Model):
    ladder: list[LadderStep] = Field(min_length=1, description="the dose levels, lowest first")
    standard_mg: int = Field(400, description="the standard daily dose")


class Special(_Model):
    rationale: str = Field(min_length=1, description="why, in a sentence")
    evidence: list[str] = Field(min_length=1, description="evidence ids")


class Recommend(_Model):
    action: RuleActionCode = Field(description="an action code")  # type: ignore[valid-type]
    params: dict[str, Any] | None = None  # described in _rulebook_schema
    rationale: str = Field(min_length=1, pattern=r"\S", description="why, in a sentence the clinician reads")
    evidence: list[str] = Field(min_length=1, description="evidence ids from the rulebook's evidence registry")


class RuleModel(_Model):
    id: str = Field(pattern=RULE_ID.pattern, description="the rule's id, unique in the rulebook")
    area: Literal[AREAS] = Field(description="the clinical area the rule belongs to")  # type: ignore[valid-type]
    description: str = Field(min_length=1, pattern=r"\S", description="what the rule does, in a line")
    priority: int = Field(100, ge=0, le=1000, description="lower fires first")
    when: list[dict[str, dict[str, Any] | None]] = Field(min_length=1, description="patterns: '- type: {field: test}'")
    assert_: list[dict[str, dict[str, Any] | None]] | None = Field(None, alias="assert", description="derived facts the rule asserts")
    recommend: list[Recommend] | None = Field(None, description="the recommendations the rule makes")


FieldKind = Literal["number", "bool", "text"] | Annotated[list[str], Field(min_length=1)]


class RulebookFile(_Model):
    rulebook: RulebookMeta = Field(description="which rulebook this is")
    evidence: dict[str, EvidenceEntry] = Field(min_length=1, description="the evidence registry: id -> source")
    dosing: Dosing = Field(description="the dose ladder")
    derived_facts: dict[str, dict[str, FieldKind]] | None = Field(None, description="fact types that rules may assert, with their fields")
    fallback: Special = Field(description="used when no rule decides the dose")
    safety_hold: Special = Field(description="used when the safety layer must hold imatinib")
    rules: list[RuleModel] = Field(min_length=1, description="the rules")


# -- the schemas -------------------------------------------------------------------------


def _strip_required(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _strip_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_strip_required(v) for v in schema]
    return schema


def _state_schema() -> dict:
    schema = PatientState.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    terms = {"enum": list(vocab.AE_TERMS)}
    for name in ("AdverseEvent", "HistoryItem"):
        if name in defs:
            defs[name]["properties"]["term"] |= terms
    labs = schema["properties"]["labs"]
    labs["propertyNames"] = {"enum": list(ANALYTES)}
    return schema


def _test_schema(spec) -> dict:
    if spec.kind in ("enum", "list"):
        ops = {op: {} for op in OPS}
        return {"anyOf": [{"enum": list(spec.values)}, {"type": "object", "properties": ops, "additionalProperties": False}]}
    return {"$ref": f"#/$defs/Test_{spec.kind}"}


def _pattern_defs() -> dict:
    """'- type: {field: test}' with the built-in fact types and their fields, for completion."""
    ops = {op: {} for op in OPS}
    defs: dict[str, Any] = {
        f"Test_{kind}": {"anyOf": [{"type": t}, {"type": "object", "properties": ops, "additionalProperties": False}]}
        for kind, t in (("number", "number"), ("bool", "boolean"), ("text", "string"))
    }
    props = {}
    for ftype, fields in FACT_TYPES.items():
        tests = {name: _test_schema(spec) for name, spec in fields.items()}
        defs[f"Tests_{ftype}"] = {"type": "object", "properties": tests}
        props[ftype] = {"anyOf": [{"type": "null"}, {"allOf": [{"$ref": f"#/$defs/Tests_{ftype}"}], "properties": {
            "any_of": {"type": "array", "items": {"$ref": f"#/$defs/Tests_{ftype}"}}}}]}
    defs["Pattern"] = {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": props,
                       "additionalProperties": {"type": ["object", "null"]},
                       "description": "one fact type (or 'type as name', or a derived fact type) and its tests"}
    return defs


def _rulebook_schema() -> dict:
    schema = RulebookFile.model_json_schema(by_alias=True)
    rule = schema["$defs"]["RuleModel"]["properties"]
    rule["when"]["items"] = {"$ref": "#/$defs/Pattern"}
    schema["$defs"].update(_pattern_defs())
    rec = schema["$defs"]["Recommend"]["properties"]
    rec["params"]["description"] = (
        "action parameters; dose_mg may be {ladder: " + " | ".join(LADDER_BASES) + ", step: n, at_most: ...}")
    return schema


def _scenario_schema() -> dict:
    schema = ScenarioFile.model_json_schema(by_alias=True)
    state = _strip_required(_state_schema())
    defs = schema.setdefault("$defs", {})
    for name, d in state.pop("$defs", {}).items():
        defs.setdefault(name, d)
    defs["PartialPatientState"] = state | {"title": "PartialPatientState",
                                           "description": "a patient state in which every key is optional (merged over the previous step)"}
    schema["$defs"]["Step"]["properties"]["state"] = {"$ref": "#/$defs/PartialPatientState",
                                                      "description": "what changed: merged over the previous step's state"}
    return schema


BUILDERS = {"state": _state_schema, "scenario": _scenario_schema, "rulebook": _rulebook_schema}
MODELS: dict[str, type[BaseModel]] = {"state": PatientState, "scenario": ScenarioFile, "rulebook": RulebookFile}
TITLES = {"state": "imatinib-advisor patient state", "scenario": "imatinib-advisor scenario file",
          "rulebook": "imatinib-advisor rulebook"}


def json_schema(kind: str) -> dict:
    """The JSON Schema (draft 2020-12) of one file kind: state, scenario or rulebook."""
    if kind not in BUILDERS:
        from .errors import InputError

        raise InputError(f"unknown schema '{kind}'{vocab.suggest(kind, BUILDERS)}; expected one of: {', '.join(BUILDERS)}")
    schema = copy.deepcopy(BUILDERS[kind]())
    return {"$schema": SCHEMA_DRAFT, "$id": f"{kind}.schema.json", **schema, "title": TITLES[kind]}


def schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"
