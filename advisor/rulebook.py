"""Rulebooks: YAML files of evidence, dose ladder, derived fact types and rules.

Loading validates everything (unknown fact types, fields, values, action codes, evidence
ids, recommendations without evidence) and reports each problem with file, line and rule
id, so that durable-rules never sees a malformed ruleset.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import vocab
from .conditions import OPS, Pattern, Ref, Test
from .errors import Location, RulebookError
from .facts import FACT_TYPES, FieldSpec
from .yamlio import Document, parse_text

RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,79}$")
AREAS = ("hepatic", "hematologic", "skin", "fluid", "musculoskeletal", "gastrointestinal", "pulmonary",
         "renal", "general", "hypersensitivity", "response", "interactions", "dosing",
         "cardiac", "populations", "surgery")
LADDER_BASES = ("current", "standard", "max", "lowest")
MAX_RULES = 4000  # durable-rules fails above 4,096 rules
# Parameters that are amounts: text ("fifteen") or true would reach the advice as a dose.
NUMBER_PARAMS = ("dose_mg", "dose_mg_per_day", "to_mg_per_day", "interval_days")
MAX_NUMBER = 1e15  # facts cross into the C core as JSON; larger integers do not fit 64 bits


@dataclass(frozen=True)
class Evidence:
    id: str
    title: str
    kind: str
    citation: str
    url: str | None = None


@dataclass(frozen=True)
class RecommendationTemplate:
    action: str
    params: dict[str, Any]
    rationale: str
    evidence: tuple[str, ...]
    line: int | None = None


@dataclass(frozen=True)
class Assertion:
    fact_type: str
    fields: dict[str, Any]  # literal or Ref values


@dataclass(frozen=True)
class Rule:
    id: str
    area: str
    description: str
    priority: int
    patterns: tuple[Pattern, ...]
    recommends: tuple[RecommendationTemplate, ...]
    asserts: tuple[Assertion, ...]
    source: str
    line: int | None
    raw: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def location(self) -> Location:
        return Location(self.source, self.line)


@dataclass(frozen=True)
class Rulebook:
    id: str
    version: str
    title: str
    sha256: str
    source: str
    evidence: dict[str, Evidence]
    ladder: tuple[tuple[int, str], ...]  # (mg per day, schedule) from lowest to highest
    standard_mg: int
    fact_types: dict[str, dict[str, FieldSpec]]
    derived_types: tuple[str, ...]
    fallback: RecommendationTemplate  # when no rule decides the dose: the clinician decides
    safety_hold: RecommendationTemplate  # when the safety layer must hold imatinib
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        # Built once per loaded rulebook: the per-state paths look rules up by id and order.
        object.__setattr__(self, "by_id", {r.id: r for r in self.rules})
        object.__setattr__(self, "order", {r.id: i for i, r in enumerate(self.rules)})

    def rule(self, rule_id: str) -> Rule | None:
        return self.by_id.get(rule_id)

    @property
    def max_mg(self) -> int:
        return self.ladder[-1][0]


class _Problems:
    def __init__(self, doc: Document):
        self.doc = doc
        self.items: list[tuple[Location, str]] = []
        self.checks: list[str] = []  # the lint check of each item (advisor rules lint)

    def add(self, path: tuple, message: str, rule_id: str | None = None, check: str = "format") -> None:
        loc = self.doc.location(path)
        prefix = f"rule {rule_id}: " if rule_id else ""
        self.items.append((loc, prefix + message))
        self.checks.append(check)


def _text(d: dict, key: str, probs: _Problems, path: tuple, rule_id: str | None = None, required: bool = True) -> str:
    v = d.get(key)
    check = f"missing-{key}" if key in ("description", "rationale") else "format"
    if v is None:
        if required:
            probs.add(path, f"'{key}' is required", rule_id, check)
        return ""
    if not isinstance(v, str) or not v.strip():
        probs.add(path + (key,), f"'{key}' must be non-empty text", rule_id, check)
        return ""
    return v.strip()


def _whole(value: Any) -> bool:
    """A whole number, and not a boolean (true is an int to Python, and would be 1 mg)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_keys(d: dict, allowed: tuple[str, ...], probs: _Problems, path: tuple, rule_id: str | None = None) -> None:
    for k in d:
        if k not in allowed:
            probs.add(path + (k,), f"unknown key '{k}'{vocab.suggest(k, allowed)}; expected one of: {', '.join(allowed)}", rule_id)


def _check_value(spec: FieldSpec, value: Any, where: str) -> str | None:
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{where} expects a number, got {value!r}"
        if not -MAX_NUMBER <= value <= MAX_NUMBER or value != value:
            return f"{where}: {value!r} is outside the numbers a condition can compare (|x| <= {MAX_NUMBER:.0e})"
        if "e" in repr(float(value)):  # the engine's JSON reader takes no exponent: 1e-07 breaks the ruleset
            return f"{where}: {value!r} is too close to 0 for the rule engine (it reads no exponent); use 0 or at least 0.0001"
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            return f"{where} expects true or false, got {value!r}"
    elif spec.kind in ("enum", "list"):
        if value not in spec.values:
            return f"{where}: '{value}' is not a known value{vocab.suggest(value, spec.values)}"
    elif spec.kind == "text" and not isinstance(value, str):
        return f"{where} expects text, got {value!r}"
    return None


def _parse_ref(text: Any) -> tuple[str, str] | None:
    if isinstance(text, str) and re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", text):
        b, f = text.split(".")
        return b, f
    return None


class _Loader:
    def __init__(self, doc: Document, sha: str):
        self.doc = doc
        self.sha = sha
        self.probs = _Problems(doc)
        self.fact_types: dict[str, dict[str, FieldSpec]] = dict(FACT_TYPES)
        self.derived: list[str] = []
        self.evidence: dict[str, Evidence] = {}

    # -- top level ---------------------------------------------------------------------
    def load(self) -> Rulebook:
        rulebook = self.build()
        doc, probs = self.doc, self.probs
        if probs.items:
            first = probs.items[0][0]
            lines = [f"{loc}: {msg}" for loc, msg in probs.items]
            n = len(lines)
            raise RulebookError(f"{n} problem{'s' if n > 1 else ''} in the rulebook" if n > 1 else probs.items[0][1],
                                Location(doc.source) if n > 1 else first, lines if n > 1 else None)
        return rulebook

    def build(self) -> Rulebook:
        """The rulebook as far as it could be read; the problems found are left in self.probs."""
        doc, probs = self.doc, self.probs
        data = doc.data
        if not isinstance(data, dict):
            raise RulebookError("the top level must be a mapping with rulebook, evidence, dosing and rules", Location(doc.source, 1))
        _check_keys(data, ("rulebook", "evidence", "dosing", "derived_facts", "fallback", "safety_hold", "rules"), probs, ())
        meta = data.get("rulebook") if isinstance(data.get("rulebook"), dict) else {}
        if not meta:
            probs.add(("rulebook",), "'rulebook' must be a mapping with id, version and title")
        _check_keys(meta, ("id", "version", "title"), probs, ("rulebook",))
        rb_id = _text(meta, "id", probs, ("rulebook",))
        version = str(meta.get("version", "")) or ""
        if not version:
            probs.add(("rulebook",), "'version' is required")
        title = _text(meta, "title", probs, ("rulebook",))
        self._evidence(data.get("evidence"))
        ladder, standard = self._dosing(data.get("dosing"))
        self._derived(data.get("derived_facts") or {})
        fallback = self._special(data.get("fallback"), "fallback", "clinician_review")
        hold = self._special(data.get("safety_hold"), "safety_hold", "interrupt_imatinib")
        rules = self._rules(data.get("rules"))
        return Rulebook(rb_id, version, title, self.sha, doc.source, self.evidence, ladder, standard,
                        self.fact_types, tuple(self.derived), fallback, hold, tuple(rules))

    def _evidence(self, ev: Any) -> None:
        if not isinstance(ev, dict) or not ev:
            self.probs.add(("evidence",), "'evidence' must be a mapping of evidence id to its source")
            return
        for eid, entry in ev.items():
            path = ("evidence", eid)
            if not isinstance(entry, dict):
                self.probs.add(path, f"evidence '{eid}' must be a mapping with title, kind and citation")
                continue
            _check_keys(entry, ("title", "kind", "citation", "url"), self.probs, path)
            kind = entry.get("kind")
            if kind not in ("label", "guideline", "case_report", "trial", "terminology", "review"):
                self.probs.add(path + ("kind",), f"evidence kind '{kind}' unknown; expected label, guideline, case_report, trial, terminology or review")
            self.evidence[str(eid)] = Evidence(str(eid), _text(entry, "title", self.probs, path), str(kind),
                                               _text(entry, "citation", self.probs, path), entry.get("url"))

    def _dosing(self, d: Any) -> tuple[tuple[tuple[int, str], ...], int]:
        default = ((100, "every_other_day"), (100, "daily"), (200, "daily"), (300, "daily"), (400, "daily"), (600, "daily"), (800, "twice_daily"))
        if not isinstance(d, dict):
            self.probs.add(("dosing",), "'dosing' must be a mapping with ladder and standard_mg")
            return default, 400
        _check_keys(d, ("ladder", "standard_mg"), self.probs, ("dosing",))
        raw = d.get("ladder")
        ladder: list[tuple[int, str]] = []
        if not isinstance(raw, list) or not raw:
            self.probs.add(("dosing", "ladder"), "'ladder' must be a list of {dose_mg, schedule} from lowest to highest")
            return default, 400
        for i, step in enumerate(raw):
            path = ("dosing", "ladder", i)
            if not isinstance(step, dict) or not _whole(step.get("dose_mg")):
                self.probs.add(path, f"each ladder step needs a whole number dose_mg, got {step.get('dose_mg') if isinstance(step, dict) else step!r}")
                continue
            sched = step.get("schedule", "daily")
            if sched not in vocab.SCHEDULES:
                self.probs.add(path, f"schedule '{sched}' unknown; expected {', '.join(vocab.SCHEDULES)}")
            if step["dose_mg"] > 800 or step["dose_mg"] <= 0:
                self.probs.add(path, f"dose {step['dose_mg']} mg/d is outside 1-800 mg/d (the advisor never goes above 800)")
            ladder.append((step["dose_mg"], sched))
        per_day = [mg / (2 if s == "every_other_day" else 1) for mg, s in ladder]
        if per_day != sorted(per_day) or len(set(per_day)) != len(per_day):
            self.probs.add(("dosing", "ladder"), "ladder steps must rise strictly from lowest to highest")
        standard = d.get("standard_mg", 400)
        if not _whole(standard):
            self.probs.add(("dosing", "standard_mg"), f"standard_mg must be a whole number of mg on the ladder, got {standard!r}")
            return tuple(ladder), 400
        if not any(mg == standard for mg, _ in ladder):
            self.probs.add(("dosing", "standard_mg"), f"standard_mg {standard} is not on the ladder")
        return tuple(ladder), standard

    def _derived(self, d: Any) -> None:
        if not isinstance(d, dict):
            self.probs.add(("derived_facts",), "'derived_facts' must map a fact type to its fields")
            return
        for name, fields in d.items():
            path = ("derived_facts", name)
            if name in FACT_TYPES:
                self.probs.add(path, f"derived fact type '{name}' shadows a built-in fact type")
                continue
            if not isinstance(fields, dict) or not fields:
                self.probs.add(path, "a derived fact type needs a mapping of field: number | bool | text | [values]")
                continue
            spec: dict[str, FieldSpec] = {}
            for fname, kind in fields.items():
                if isinstance(kind, list) and kind and all(isinstance(x, str) for x in kind):
                    spec[fname] = FieldSpec("enum", tuple(kind))
                elif kind in ("number", "bool", "text"):
                    spec[fname] = FieldSpec(kind)
                else:
                    self.probs.add(path + (fname,), f"field kind {kind!r} unknown; expected number, bool, text or a list of values")
            self.fact_types[name] = spec
            self.derived.append(name)

    def _special(self, d: Any, key: str, action: str) -> RecommendationTemplate:
        if not isinstance(d, dict):
            self.probs.add((key,), f"'{key}' must give the rationale and evidence the advisor uses on its own ({action})")
            return RecommendationTemplate(action, {}, "", ())
        _check_keys(d, ("rationale", "evidence"), self.probs, (key,))
        ev = self._evidence_ids(d.get("evidence"), (key,), None)
        return RecommendationTemplate(action, {}, _text(d, "rationale", self.probs, (key,)), ev)

    def _evidence_ids(self, ev: Any, path: tuple, rule_id: str | None) -> tuple[str, ...]:
        if not isinstance(ev, list) or not ev:
            self.probs.add(path, "every recommendation needs at least one evidence id", rule_id)
            return ()
        for i, e in enumerate(ev):
            if not isinstance(e, str) or e not in self.evidence:
                self.probs.add(path + ("evidence", i), f"unknown evidence id '{e}'{vocab.suggest(e, self.evidence)}", rule_id, "unknown-evidence")
        return tuple(str(e) for e in ev)

    # -- rules -------------------------------------------------------------------------
    def _rules(self, rules: Any) -> list[Rule]:
        if not isinstance(rules, list) or not rules:
            self.probs.add(("rules",), "'rules' must be a non-empty list")
            return []
        if len(rules) > MAX_RULES:
            self.probs.add(("rules",), f"{len(rules)} rules; the engine takes at most {MAX_RULES}")
        out, seen = [], {}
        for i, raw in enumerate(rules):
            path = ("rules", i)
            if not isinstance(raw, dict):
                self.probs.add(path, "each rule must be a mapping")
                continue
            rule = self._rule(raw, path)
            if rule is None:
                continue
            if rule.id in seen:
                self.probs.add(path + ("id",), f"duplicate rule id (first on line {seen[rule.id]})", rule.id, "duplicate-id")
            seen[rule.id] = rule.line
            out.append(rule)
        return out

    def _rule(self, raw: dict, path: tuple) -> Rule | None:
        rid = raw.get("id")
        if not isinstance(rid, str) or not RULE_ID.match(rid):
            self.probs.add(path + ("id",), f"rule id {rid!r} must be lowercase letters, digits, '-' or '_' (2-80 characters)")
            rid = f"<rule {path[-1]}>"
        _check_keys(raw, ("id", "area", "description", "priority", "when", "assert", "recommend"), self.probs, path, rid)
        area = raw.get("area")
        if area not in AREAS:
            self.probs.add(path + ("area",), f"area '{area}' unknown{vocab.suggest(area, AREAS)}; expected one of {', '.join(AREAS)}", rid)
        desc = _text(raw, "description", self.probs, path, rid)
        pri = raw.get("priority", 100)
        if not isinstance(pri, int) or isinstance(pri, bool) or not 0 <= pri <= 1000:
            self.probs.add(path + ("priority",), f"priority must be a whole number 0-1000, got {pri!r}", rid)
            pri = 100
        patterns = self._patterns(raw.get("when"), path + ("when",), rid)
        bindings = {p.binding: p.fact_type for p in patterns}
        asserts = self._asserts(raw.get("assert") or [], path + ("assert",), rid, bindings)
        recs = self._recommends(raw.get("recommend") or [], path + ("recommend",), rid, bindings)
        if not asserts and not recs:
            self.probs.add(path, "a rule must assert a fact or recommend an action", rid)
        return Rule(rid, str(area), desc, pri, tuple(patterns), tuple(recs), tuple(asserts),
                    self.doc.source, self.doc.line_of(path), raw)

    def _patterns(self, when: Any, path: tuple, rid: str) -> list[Pattern]:
        if not isinstance(when, list) or not when:
            self.probs.add(path, "'when' must be a non-empty list of patterns such as '- ae: {grade: {gte: 3}}'", rid)
            return []
        out: list[Pattern] = []
        bindings: dict[str, str] = {}
        for i, item in enumerate(when):
            ipath = path + (i,)
            if not isinstance(item, dict) or len(item) != 1:
                self.probs.add(ipath, "each pattern is a mapping with one key, the fact type (optionally 'type as name')", rid)
                continue
            (head, tests), = item.items()
            parts = str(head).split()
            if len(parts) == 3 and parts[1] == "as":
                ftype, binding = parts[0], parts[2]
            elif len(parts) == 1:
                ftype, binding = parts[0], parts[0]
            else:
                self.probs.add(ipath, f"pattern head '{head}' must be 'type' or 'type as name'", rid)
                continue
            if ftype not in self.fact_types:
                self.probs.add(ipath, f"unknown fact type '{ftype}'{vocab.suggest(ftype, self.fact_types)}; known: {', '.join(self.fact_types)}", rid)
                continue
            if binding in bindings:
                base = binding
                n = 2
                while f"{base}_{n}" in bindings:
                    n += 1
                binding = f"{base}_{n}"
            if tests is None:
                tests = {}
            if not isinstance(tests, dict):
                self.probs.add(ipath + (head,), "the tests of a pattern must be a mapping of field: test", rid)
                continue
            fields = self.fact_types[ftype]
            plain, any_of = [], []
            for fname, spec in tests.items():
                if fname == "any_of":
                    if not isinstance(spec, list) or not spec:
                        self.probs.add(ipath + (head, fname), "any_of must be a list of mappings of field: test", rid)
                        continue
                    for j, group in enumerate(spec):
                        if not isinstance(group, dict) or not group:
                            self.probs.add(ipath + (head, fname, j), "each any_of entry is a mapping of field: test", rid)
                            continue
                        any_of.append(tuple(t for g, s in group.items() for t in self._tests(ftype, fields, g, s, ipath + (head, fname, j, g), rid, bindings)))
                    continue
                plain.extend(self._tests(ftype, fields, fname, spec, ipath + (head, fname), rid, bindings))
            pattern = Pattern(binding, ftype, tuple(plain), tuple(any_of))
            out.append(pattern)
            bindings[binding] = ftype
        return out

    def _tests(self, ftype: str, fields: dict[str, FieldSpec], fname: str, spec: Any, path: tuple, rid: str, bindings: dict[str, str]) -> list[Test]:
        if fname not in fields:
            self.probs.add(path, f"fact type '{ftype}' has no field '{fname}'{vocab.suggest(fname, fields)}", rid)
            return []
        fspec = fields[fname]
        ops = spec if isinstance(spec, dict) else {"has" if fspec.kind == "list" else "eq": spec}
        out = []
        for op, value in ops.items():
            where = f"{ftype}.{fname} {op}"
            if op not in OPS:
                self.probs.add(path, f"unknown test '{op}'{vocab.suggest(op, OPS)}; expected one of {', '.join(OPS)}", rid)
                continue
            # 'binding.field' is a join: ordering tests on numbers, equality on any plain field
            # (no vocabulary value contains a dot, so a join is never mistaken for a value)
            joinable = (op in ("gt", "gte", "lt", "lte") and fspec.kind == "number") or (op in ("eq", "ne") and fspec.kind != "list")
            ref = _parse_ref(value) if joinable and isinstance(value, str) else None
            if ref:
                b, f = ref
                if b not in bindings:
                    self.probs.add(path, f"{where}: '{b}' is not a pattern bound before this one", rid)
                    continue
                if f not in self.fact_types[bindings[b]]:
                    self.probs.add(path, f"{where}: fact type '{bindings[b]}' has no field '{f}'", rid)
                    continue
                out.append(Test(fname, op, Ref(b, f)))
                continue
            if op == "exists":
                if not isinstance(value, bool):
                    self.probs.add(path, f"{where} expects true or false", rid)
                    continue
                out.append(Test(fname, op, value))
                continue
            if op in ("in", "not_in", "has_any"):
                if not isinstance(value, list) or not value:
                    self.probs.add(path, f"{where} expects a non-empty list", rid)
                    continue
                if op in ("in", "not_in") and fspec.kind == "list":
                    # on a list field these would compare the whole list, not its items
                    self.probs.add(path, f"{where}: {fname} is a list; use has or has_any", rid)
                    continue
                if op == "has_any" and fspec.kind != "list":
                    self.probs.add(path, f"{where}: has_any is for list fields; {fname} is a {fspec.kind}", rid)
                    continue
                errs = [e for v in value if (e := _check_value(fspec, v, where))]
                for e in errs:
                    self.probs.add(path, e, rid)
                if not errs:
                    out.append(Test(fname, op, tuple(value)))
                continue
            if op == "has" and fspec.kind != "list":
                self.probs.add(path, f"{where}: has is for list fields; {fname} is a {fspec.kind}", rid)
                continue
            if op in ("gt", "gte", "lt", "lte") and fspec.kind != "number":
                self.probs.add(path, f"{where}: ordering tests need a number field; {fname} is {fspec.describe()}", rid)
                continue
            if fspec.kind == "list" and op != "has":
                self.probs.add(path, f"{where}: {fname} is a list; use has or has_any", rid)
                continue
            err = _check_value(fspec, value, where)
            if err:
                self.probs.add(path, err, rid)
                continue
            out.append(Test(fname, op, value))
        return out

    def _value_or_ref(self, value: Any, path: tuple, rid: str, bindings: dict[str, str]) -> Any:
        if isinstance(value, dict) and set(value) == {"ref"}:
            ref = _parse_ref(value["ref"])
            if not ref or ref[0] not in bindings or ref[1] not in self.fact_types[bindings[ref[0]]]:
                self.probs.add(path, f"ref {value['ref']!r} must name 'binding.field' of a pattern in 'when'", rid)
                return None
            return Ref(*ref)
        return value

    def _asserts(self, items: Any, path: tuple, rid: str, bindings: dict[str, str]) -> list[Assertion]:
        out = []
        if not isinstance(items, list):
            self.probs.add(path, "'assert' must be a list of '- type: {field: value}'", rid)
            return out
        for i, item in enumerate(items):
            ipath = path + (i,)
            if not isinstance(item, dict) or len(item) != 1:
                self.probs.add(ipath, "each assertion is a mapping with one key, the derived fact type", rid)
                continue
            (ftype, fields), = item.items()
            if ftype not in self.derived:
                self.probs.add(ipath, f"'{ftype}' is not a declared derived fact type{vocab.suggest(ftype, self.derived)}; declare it under derived_facts", rid)
                continue
            fields = fields or {}
            if not isinstance(fields, dict):
                self.probs.add(ipath + (ftype,), f"the fields of '{ftype}' must be a mapping of field: value", rid)
                continue
            spec = self.fact_types[ftype]
            values = {}
            for fname, v in fields.items():
                if fname not in spec:
                    self.probs.add(ipath + (ftype, fname), f"derived fact '{ftype}' has no field '{fname}'{vocab.suggest(fname, spec)}", rid)
                    continue
                v = self._value_or_ref(v, ipath + (ftype, fname), rid, bindings)
                if v is not None and not isinstance(v, Ref):
                    err = _check_value(spec[fname], v, f"{ftype}.{fname}")
                    if err:
                        self.probs.add(ipath + (ftype, fname), err, rid)
                values[fname] = v
            out.append(Assertion(ftype, values))
        return out

    def _recommends(self, items: Any, path: tuple, rid: str, bindings: dict[str, str]) -> list[RecommendationTemplate]:
        out = []
        if not isinstance(items, list):
            self.probs.add(path, "'recommend' must be a list of {action, params, rationale, evidence}", rid)
            return out
        for i, item in enumerate(items):
            ipath = path + (i,)
            if not isinstance(item, dict):
                self.probs.add(ipath, "each recommendation is a mapping with action, rationale and evidence", rid)
                continue
            _check_keys(item, ("action", "params", "rationale", "evidence"), self.probs, ipath, rid)
            action = item.get("action")
            # clinician_review is allowed in rules: a rule may hand a decision to the clinician, with its reason
            if not isinstance(action, str) or action not in vocab.ACTIONS:
                self.probs.add(ipath + ("action",), f"unknown action code '{action}'{vocab.suggest(action, vocab.ACTIONS)}", rid)
                continue
            params = item.get("params") or {}
            if not isinstance(params, dict):
                self.probs.add(ipath + ("params",), "params must be a mapping", rid)
                params = {}
            allowed = vocab.ACTIONS[action].params
            for k, v in params.items():
                if k not in allowed:
                    self.probs.add(ipath + ("params", k), f"{action} takes no parameter '{k}'; it takes {', '.join(allowed) or 'none'}", rid)
                self._check_param(k, v, ipath + ("params", k), rid, bindings)
            rationale = _text(item, "rationale", self.probs, ipath, rid)
            ev = self._evidence_ids(item.get("evidence"), ipath, rid)
            out.append(RecommendationTemplate(action, params, rationale, ev, self.doc.line_of(ipath)))
        return out

    def _check_param(self, key: str, v: Any, path: tuple, rid: str, bindings: dict[str, str]) -> None:
        if key in NUMBER_PARAMS and not isinstance(v, dict) and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 10_000):
            self.probs.add(path, f"{key} must be a number (or {{ref: binding.field}}), got {v!r}", rid)
        elif key == "dose_mg" and isinstance(v, dict):
            self._check_ladder_expr(v, path, rid, bindings)
        elif key == "titration":
            if isinstance(v, dict):
                _check_keys(v, ("step_up_to", "every_days"), self.probs, path, rid)
                if v.get("step_up_to") not in LADDER_BASES or not isinstance(v.get("every_days"), int) or v["every_days"] < 1:
                    self.probs.add(path, "titration {step_up_to, every_days} needs a ladder base (current, standard, max) and whole days >= 1", rid)
            elif isinstance(v, list):
                for i, step in enumerate(v):
                    if not isinstance(step, dict) or not isinstance(step.get("after_days"), int):
                        self.probs.add(path + (i,), "each titration step needs after_days and a ladder position", rid)
                        continue
                    self._check_ladder_expr({k: x for k, x in step.items() if k != "after_days"}, path + (i,), rid, bindings)
            else:
                self.probs.add(path, "titration is a list of steps or {step_up_to, every_days}", rid)
        elif isinstance(v, dict) and "ref" in v:
            _check_keys(v, ("ref", "times", "round_to"), self.probs, path, rid)
            self._value_or_ref({"ref": v["ref"]}, path, rid, bindings)

    def _check_ladder_expr(self, v: dict, path: tuple, rid: str, bindings: dict[str, str]) -> None:
        _check_keys(v, ("ladder", "step", "at_most"), self.probs, path, rid)
        base = v.get("ladder")
        if base not in LADDER_BASES and not (_parse_ref(base) and self._value_or_ref({"ref": base}, path, rid, bindings)):
            self.probs.add(path, f"ladder position {base!r} must be one of {', '.join(LADDER_BASES)} or 'binding.field'", rid)
        if not isinstance(v.get("step", 0), int):
            self.probs.add(path, "step must be a whole number of ladder levels", rid)
        cap = v.get("at_most")
        if "at_most" in v and cap not in LADDER_BASES and not (_parse_ref(cap) and self._value_or_ref({"ref": cap}, path, rid, bindings)):
            self.probs.add(path, f"at_most must be one of {', '.join(LADDER_BASES)} or 'binding.field'", rid)


def parse_rulebook(text: str, source: str) -> Rulebook:
    from .errors import InputError
    from .kinds import expect_kind

    try:
        doc = parse_text(text, source)
        expect_kind(doc.data, "rulebook", source)
    except InputError as exc:
        raise RulebookError(exc.message, exc.location) from None
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _Loader(doc, sha).load()


@dataclass(frozen=True)
class RulebookReport:
    """Every problem the loader finds, without raising (for `advisor rules lint`)."""

    rulebook: Rulebook | None  # built as far as it could be; None when the file cannot be read
    document: Document | None
    problems: tuple[tuple[Location, str, str], ...]  # (where, message, check)


def inspect_rulebook(path: str | os.PathLike) -> RulebookReport:
    """Load a rulebook and collect all its problems instead of raising on the first batch."""
    from .errors import InputError
    from .kinds import expect_kind

    try:
        text = _read_text(path)
        doc = parse_text(text, str(path))
    except (InputError, RulebookError) as exc:
        return RulebookReport(None, None, ((exc.location, exc.message, "format"),))
    if not isinstance(doc.data, dict):
        return RulebookReport(None, doc, ((Location(doc.source, 1), "the top level must be a mapping with rulebook, evidence, dosing and rules", "format"),))
    try:
        expect_kind(doc.data, "rulebook", doc.source)
    except InputError as exc:
        return RulebookReport(None, doc, ((exc.location, exc.message, "format"),))
    loader = _Loader(doc, hashlib.sha256(text.encode("utf-8")).hexdigest())
    rulebook = loader.build()
    items = tuple((loc, msg, chk) for (loc, msg), chk in zip(loader.probs.items, loader.probs.checks))
    return RulebookReport(rulebook, doc, items)


def _read_text(path: str | os.PathLike) -> str:
    from .errors import InputError
    from .yamlio import read_text

    try:
        return read_text(path, "a YAML rulebook")
    except InputError as exc:
        raise RulebookError(exc.message, exc.location) from None


def load_rulebook(path: str | os.PathLike) -> Rulebook:
    return parse_rulebook(_read_text(path), str(path))


BUNDLED_RULEBOOK = "imatinib-gist.yaml"


def default_rulebook_path() -> Path:
    """The rulebook used when none is named: $ADVISOR_RULEBOOK, else the bundled one.

    The repo keeps it at rulebooks/imatinib-gist.yaml; an installed wheel carries that file as
    package data in advisor/rulebooks/ (pyproject.toml maps the folder), found with
    importlib.resources. A source checkout (the Makefile's editable install) has no such
    folder in the package and reads the repo's rulebooks/ directly.
    """
    env = os.environ.get("ADVISOR_RULEBOOK")
    if env:
        return Path(env)
    packaged = resources.files("advisor").joinpath("rulebooks", BUNDLED_RULEBOOK)
    if isinstance(packaged, Path) and packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent / "rulebooks" / BUNDLED_RULEBOOK
