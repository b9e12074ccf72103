"""Why (not): a rule's conditions checked one by one against the facts the engine saw.

`explain` takes the facts the evaluation built (Advice.facts), adds the facts that fired
rules asserted (Advice.firings), and evaluates each
pattern of the rule in Python (`Test.evaluate`): for every candidate fact of the pattern's
type, each test with the value it looked at, the threshold and met / not met. A pattern is
met when some fact meets all its tests; joins (`binding.field`) use the facts bound by the
earlier patterns. For a rule that fired, the facts the engine matched are the ones shown,
and every test is met; `agrees_with_engine` says whether Python and durable-rules agree.

`trace_outline` turns an Advice's trace into one outline (text nodes) that the terminal
tree, the HTML report and the Markdown report all render, so they carry the same content
as the JSON trace.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from . import vocab
from .advice import Advice
from .conditions import Pattern, Ref, Test
from .errors import InputError, Location
from .rulebook import Rule, Rulebook
from .state import PatientState


# --------------------------------------------------------------------------- why-not
@dataclass(frozen=True)
class TestCheck:
    """One test of a pattern on one fact."""

    test: str  # as written: "grade >= 3"
    field: str
    op: str
    value: Any  # the value looked at ("(absent)" when the fact lacks the field)
    threshold: Any
    met: bool
    group: int | None = None  # index of the any_of alternative, None for a plain test

    def to_json(self) -> dict[str, Any]:
        out = {"test": self.test, "field": self.field, "op": self.op, "value": self.value,
               "threshold": self.threshold, "met": self.met}
        if self.group is not None:
            out["any_of"] = self.group
        return out


@dataclass(frozen=True)
class CandidateCheck:
    """A fact of the pattern's type and how each test fared on it."""

    fact_id: str
    tests: tuple[TestCheck, ...]
    met: bool  # every plain test met and (if any) one any_of alternative fully met
    chosen: bool = False  # the fact this explanation binds for the pattern
    label: str = ""  # what the fact is, for a reader ("neutrophil_count_decreased grade 3, derived from anc ...")

    def to_json(self) -> dict[str, Any]:
        return {"fact": self.fact_id, "label": self.label or self.fact_id, "met": self.met, "chosen": self.chosen,
                "tests": [t.to_json() for t in self.tests]}


@dataclass(frozen=True)
class PatternCheck:
    binding: str
    fact_type: str
    met: bool
    candidates: tuple[CandidateCheck, ...]
    note: str = ""  # e.g. why there is no candidate at all
    description: str = ""  # what the pattern looks for ("an adverse event (ae)")

    @property
    def chosen(self) -> CandidateCheck | None:
        return next((c for c in self.candidates if c.chosen), None)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"binding": self.binding, "fact_type": self.fact_type, "description": self.description,
                               "met": self.met, "candidates": [c.to_json() for c in self.candidates]}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Explanation:
    rule_id: str
    description: str
    area: str
    priority: int
    fired: bool  # according to the engine
    firings: int
    met: bool  # according to the Python check: every pattern met
    patterns: tuple[PatternCheck, ...]
    recommends: tuple[str, ...]
    rulebook: dict[str, str] = field(default_factory=dict)

    @property
    def agrees_with_engine(self) -> bool:
        return self.fired == self.met

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule_id, "description": self.description, "area": self.area, "priority": self.priority,
                "fired": self.fired, "firings": self.firings, "met": self.met,
                "agrees_with_engine": self.agrees_with_engine, "recommends": list(self.recommends),
                "patterns": [p.to_json() for p in self.patterns], "rulebook": self.rulebook}


def _tests_of(pattern: Pattern) -> list[tuple[Test, int | None]]:
    return [(t, None) for t in pattern.tests] + [(t, i) for i, g in enumerate(pattern.any_of) for t in g]


def check_fact(pattern: Pattern, fact: dict[str, Any], bound: dict[str, dict]) -> CandidateCheck:
    """Every test of `pattern` on one fact (a dict with id, type and fields)."""
    data = {k: v for k, v in fact.items() if k not in ("id", "type")}
    checks = []
    for t, group in _tests_of(pattern):
        met, value, threshold = t.evaluate(data, bound)
        checks.append(TestCheck(t.describe(), t.field, t.op, value, threshold, met, group))
    plain = all(c.met for c in checks if c.group is None)
    alternatives = not pattern.any_of or any(all(c.met for c in checks if c.group == i) for i in range(len(pattern.any_of)))
    return CandidateCheck(str(fact.get("id")), tuple(checks), plain and alternatives)


def _search(patterns: tuple[Pattern, ...], facts_by_type: dict[str, list[dict]], bound: dict[str, dict],
            best: list[dict[str, dict]]) -> dict[str, dict] | None:
    """Depth-first search for facts meeting every pattern; `best` keeps the deepest partial match."""
    i = len(bound)
    if i == len(patterns):
        return dict(bound)
    if i > len(best[0]):
        best[0] = dict(bound)
    p = patterns[i]
    used = {f.get("id") for f in bound.values()}
    for fact in facts_by_type.get(p.fact_type, []):
        if fact.get("id") in used:
            continue
        if check_fact(p, fact, bound).met:
            bound[p.binding] = fact
            found = _search(patterns, facts_by_type, bound, best)
            del bound[p.binding]
            if found is not None:
                return found
    return None


def explain_rule(rule: Rule, facts: list[dict[str, Any]], matched: dict[str, dict] | None, firings: int,
                 rulebook: Rulebook, labels: dict[str, str] | None = None) -> Explanation:
    """Check `rule` against `facts` (each a dict with id and type). `matched`: the engine's first firing, if any;
    `labels`: what each fact is, by id (see `fact_labels`)."""
    labels = labels or {}
    by_type: dict[str, list[dict]] = {}
    for f in facts:
        by_type.setdefault(str(f.get("type")), []).append(f)
    if matched:
        binding = {p.binding: matched[p.binding] for p in rule.patterns if p.binding in matched}
    else:
        best: list[dict[str, dict]] = [{}]
        binding = _search(rule.patterns, by_type, {}, best) or dict(best[0])
    checks: list[PatternCheck] = []
    bound: dict[str, dict] = {}
    for p in rule.patterns:
        candidates = [check_fact(p, fact, bound) for fact in by_type.get(p.fact_type, [])]
        chosen_id = binding.get(p.binding, {}).get("id")
        if chosen_id is None and not matched:  # past the point where the search failed: the first fact that meets it
            used = {f.get("id") for f in bound.values()}
            chosen_id = next((c.fact_id for c in candidates if c.met and c.fact_id not in used), None)
            if chosen_id is not None and any(c.fact_id == chosen_id for c in candidates):
                binding[p.binding] = next(f for f in by_type[p.fact_type] if str(f.get("id")) == chosen_id)
        candidates = [CandidateCheck(c.fact_id, c.tests, c.met, c.fact_id == chosen_id, labels.get(c.fact_id, ""))
                      for c in candidates]
        if chosen_id is not None and not any(c.chosen for c in candidates):  # matched by the engine, not in the list
            c = check_fact(p, binding[p.binding], bound)
            candidates.append(CandidateCheck(c.fact_id, c.tests, c.met, True, labels.get(c.fact_id, "")))
        met = any(c.chosen and c.met for c in candidates)
        note = ""
        if not candidates:
            asserting = asserted_by(rulebook, p.fact_type)
            note = (f"no {p.fact_type} fact: it is asserted only by {', '.join(asserting) or 'no rule'}, and none of them fired"
                    if p.fact_type in rulebook.derived_types else f"no {p.fact_type} fact in this state")
        elif not met and any(check_fact(p, f, {}).met for f in by_type.get(p.fact_type, [])) and p.refs():
            note = "a fact meets these tests, but not together with the facts bound by the conditions above"
        elif not met:
            note = f"no {p.fact_type} fact meets every test"
        checks.append(PatternCheck(p.binding, p.fact_type, met, tuple(candidates), note, pattern_description(p, rulebook)))
        if p.binding in binding:
            bound[p.binding] = binding[p.binding]
    all_met = bool(checks) and all(c.met for c in checks)
    return Explanation(rule.id, rule.description, rule.area, rule.priority, firings > 0, firings, all_met,
                       tuple(checks), tuple(t.action for t in rule.recommends),
                       {"id": rulebook.id, "version": rulebook.version, "sha256": rulebook.sha256})


def find_rule(rulebook: Rulebook, rule_id: str) -> Rule:
    rule = rulebook.rule(rule_id)
    if rule is None:
        raise InputError(f"no rule '{rule_id}' in rulebook {rulebook.id}{vocab.suggest(rule_id, [r.id for r in rulebook.rules])}",
                         Location(rulebook.source))
    return rule


def explain(state: PatientState, rulebook: Rulebook, rule_id: str, advice: Advice | None = None) -> Explanation:
    """Why `rule_id` did or did not fire for `state` (evaluates the state unless `advice` is given)."""
    from .evaluate import evaluate

    rule = find_rule(rulebook, rule_id)
    advice = advice or evaluate(state, rulebook)
    # the facts the engine saw: the evaluation's own, plus those its rules asserted
    seen = [{"id": f.id, "type": f.type, **f.data} for f in advice.facts]
    for firing in advice.firings:
        seen.extend(firing.asserted)
    mine = [f for f in advice.firings if f.rule_id == rule_id]
    return explain_rule(rule, seen, mine[0].matched if mine else None, len(mine), rulebook, fact_labels(advice))


# --------------------------------------------------------------------------- naming facts
# What each fact type is, for a reader of `advisor explain` (the type name follows in brackets).
FACT_TYPE_NOUNS = {"patient": "the patient", "imatinib": "the imatinib course", "ae": "an adverse event",
                   "lab": "a lab value", "labs": "the lab values", "findings": "the findings", "comeds": "the co-medications",
                   "comed": "a co-medication", "response": "the tumour response", "history": "a past episode (history)"}


def asserted_by(rulebook: Rulebook, fact_type: str) -> list[str]:
    """The rules that assert facts of `fact_type` (a type the rulebook derives)."""
    return [r.id for r in rulebook.rules if any(a.fact_type == fact_type for a in r.asserts)]


def pattern_description(p: Pattern, rulebook: Rulebook) -> str:
    """'an adverse event (ae)', or for a derived type 'a episode fact asserted by rule X (episode)'."""
    if p.fact_type in FACT_TYPE_NOUNS:
        what = f"{FACT_TYPE_NOUNS[p.fact_type]} ({p.fact_type})"
    else:
        rules = asserted_by(rulebook, p.fact_type)
        article = "an" if p.fact_type[:1].lower() in "aeiou" else "a"
        what = f"{article} {p.fact_type} fact, asserted by rule {' or '.join(rules) or '(none)'}"
    return what if p.binding == p.fact_type else f"{what}, bound as {p.binding}"


def _fields(fact: dict[str, Any], limit: int = 4) -> str:
    shown = [(k, v) for k, v in fact.items() if k not in ("id", "type")][:limit]
    return ", ".join(f"{k} {v if isinstance(v, str) else value_text(v)}" for k, v in shown)


def fact_label(fact: dict[str, Any], bases: dict[str, str]) -> str:
    """A fact named by what it is; `bases`: the lab values each derived CTCAE grade came from, by term."""
    t, g = fact.get("type"), fact.get("grade")
    if t == "ae":
        term, source = fact.get("term"), fact.get("source")
        if source == "history":
            return f"{term}, a resolved episode from history (worst grade {fact.get('worst_grade')})"
        head = f"{term} grade {g}"
        if source == "lab":
            return f"{head}, derived from {bases.get(str(term), 'the lab values')}"
        if source == "stated_and_lab":
            return f"{head} (stated grade {fact.get('stated_grade')}; lab {bases.get(str(term), '')})".replace("; lab )", ")")
        trend = fact.get("trend")
        return f"{head} (as stated{', ' + str(trend) if trend and trend != 'unknown' else ''})"
    if t == "lab":
        from .units import ANALYTES

        analyte = str(fact.get("analyte"))
        unit = ANALYTES[analyte].canonical if analyte in ANALYTES else ""
        return f"{analyte} {fact.get('value')} {unit}".rstrip() + (f" (grade {g})" if g is not None else "")
    if t == "comed":
        return f"co-medication {fact.get('drug')} ({fact.get('class')})"
    if t == "history":
        parts = [f"grade {g}" if g is not None else "", f"at {fact['dose_mg']} mg" if fact.get("dose_mg") else "",
                 str(fact.get("outcome") or "").replace("_", " ")]
        return f"past {fact.get('term')} " + ", ".join(x for x in parts if x)
    if t == "imatinib":
        dose = f" {fact['dose_mg']} mg/d" if fact.get("dose_mg") else ""
        return f"the imatinib course ({fact.get('status')}{dose})"
    return FACT_TYPE_NOUNS.get(str(t), f"{t} fact {fact.get('id')}")


def fact_labels(advice: Advice) -> dict[str, str]:
    """What each fact the engine saw is, by fact id: facts built from the state by their content,
    facts a rule asserted by that rule."""
    bases = {d.term: d.basis for d in advice.derived}
    labels = {f.id: fact_label({"id": f.id, "type": f.type, **f.data}, bases) for f in advice.facts}
    for firing in advice.firings:
        for a in firing.asserted:
            labels[str(a.get("id"))] = f"{a.get('type')} asserted by rule {firing.rule_id} ({_fields(a)})"
    return labels


def explain_file(path: str | os.PathLike, rule_id: str, rulebook_path: str | os.PathLike | None = None) -> Explanation:
    """Load a state file and explain one rule (the library call behind `advisor explain`)."""
    from .evaluate import get_rulebook

    rulebook = get_rulebook(rulebook_path)
    find_rule(rulebook, rule_id)  # an unknown id fails before the state is read
    from .readers import read_input

    return explain(read_input(path).state, rulebook, rule_id)


# --------------------------------------------------------------------------- trace outline
@dataclass(frozen=True)
class Node:
    """One line of the trace outline; `kind` lets a renderer style it (rule, asserted, safety...)."""

    text: str
    kind: str = ""
    children: tuple[Node, ...] = ()


def value_text(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def fact_text(fact: dict[str, Any]) -> str:
    fields = {k: v for k, v in fact.items() if k not in ("id", "type")}
    return f"{fact.get('type')} {fact.get('id')}: " + ", ".join(f"{k}={value_text(v)}" for k, v in fields.items())


def params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={value_text(v)}" for k, v in params.items())


def rule_by(r: Any) -> str:
    """The rule behind a recommendation, and the other rules that recommended the same thing."""
    others = [x for x in dict.fromkeys(r.also_from) if x != r.rule]
    return r.rule + (f" (also {', '.join(others)})" if others else "")


def trace_outline(advice: Advice, titles: dict[str, str] | None = None) -> Node:
    """The trace as an outline: inputs, conversions and grades, rules fired, safety, final advice."""
    titles = {**advice.evidence_titles, **(titles or {})}
    inputs: list[Node] = []
    grades: list[Node] = []
    fired: list[Node] = []
    safety: list[Node] = []
    for e in advice.trace:
        d = e.data
        if e.step == "source":
            inputs.extend(Node(f"{path} <- {ref}", "source") for path, ref in d["fields"].items())
        elif e.step == "input":
            inputs.extend(Node(fact_text(f), "fact") for f in d["facts"])
        elif e.step in ("conversion", "assumption"):
            grades.append(Node(f"{e.step} ({d['analyte']}): {d['text']}", e.step))
        elif e.step == "grade":
            grades.append(Node(f"grade: {d['term']} = {d['grade']} (from {d['from']})", "grade"))
        elif e.step == "fired":
            kids = [Node(f"matched {name} = {fact_text(fact)}", "matched") for name, fact in d["matched"].items()]
            kids += [Node(f"asserted {fact_text(a)}", "asserted") for a in d["asserted"]]
            kids += [Node(f"recommended {r['action']}" + (f" ({params_text(r['params'])})" if r["params"] else ""), "recommended")
                     for r in d["recommended"]]
            fired.append(Node(f"#{d['seq'] + 1} {d['rule']} (priority {d['priority']}): {d['description']}", "rule", tuple(kids)))
        elif e.step == "safety":
            extra = {k: v for k, v in d.items() if k not in ("resolution", "text")}
            more = (" [" + ", ".join(f"{k}={v}" for k, v in extra.items()) + "]") if extra else ""
            safety.append(Node(f"{d['resolution']}: {d['text']}{more}", "safety"))
        elif e.step == "fallback":
            safety.append(Node(f"fallback: {d['text']}", "safety"))
    if not safety:
        safety.append(Node("no changes: one dosing decision, on the ladder, no conflicts", "note"))
    final: list[Node] = []
    for r in advice.recommendations:
        by = rule_by(r)
        kids = [Node(f"cites {e}: {titles[e]}" if e in titles else f"cites {e}", "evidence") for e in r.evidence]
        text = f"{r.action}" + (f" ({params_text(r.params)})" if r.params else "") + f" <- {by}"
        final.append(Node(text, "final", tuple(kids)))
    return Node("Trace", "root", (
        Node("input facts", "section", tuple(inputs)),
        Node("conversions, assumptions and grades", "section", tuple(grades) or (Node("none", "note"),)),
        Node("rules fired (in order)", "section", tuple(fired) or (Node("none", "note"),)),
        Node("safety layer", "section", tuple(safety)),
        Node("final recommendations", "section", tuple(final)),
    ))


def outline_lines(node: Node, depth: int = 0) -> list[str]:
    """The outline as indented plain text (for tests and diffs)."""
    out = ["  " * depth + node.text]
    for c in node.children:
        out.extend(outline_lines(c, depth + 1))
    return out
