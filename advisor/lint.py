"""`advisor rules lint`: every problem of a rulebook at once, as `file:line: [severity] message (check)`.

The loader's own validation (format, unknown evidence, duplicate ids, missing description or
rationale) is reported without stopping at the first batch; then checks that need the whole
rulebook run on what could be loaded: evidence nobody cites, rules that can never fire, and
same-priority rules that disagree on dosing. Checks live in one registry (CHECKS), as in
yamllint. The reasoning about whether tests can all hold on one fact is at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations

from . import vocab
from .conditions import Pattern, Ref, Test
from .facts import FieldSpec
from .rulebook import Assertion, Rule, Rulebook, inspect_rulebook
from .yamlio import Document

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, order=True)
class LintProblem:
    file: str
    line: int
    severity: str
    message: str
    check: str
    rule: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.severity}] {self.message} ({self.check})"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "severity": self.severity, "message": self.message,
                "check": self.check, "rule": self.rule}


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    meaning: str


# The registry: the name every problem carries, its severity and what it means.
CHECKS: dict[str, Check] = {c.name: c for c in [
    Check("format", ERROR, "the rulebook does not load: unknown keys, fields, values, actions or malformed entries"),
    Check("unknown-evidence", ERROR, "a recommendation cites an evidence id the rulebook does not declare"),
    Check("duplicate-id", ERROR, "two rules share an id"),
    Check("missing-description", ERROR, "a rule without a description"),
    Check("missing-rationale", ERROR, "a recommendation without a rationale"),
    Check("never-fires", ERROR, "a rule whose conditions contradict each other or need a fact nothing produces"),
    Check("unused-evidence", WARNING, "an evidence entry no recommendation cites"),
    Check("dosing-conflict", WARNING, "two rules at the same priority that can match the same facts recommend different dosing"),
    Check("knowledge-map", ERROR, "the knowledge map (knowledge/<rulebook>.yaml) has an item with no rule, or a rule traces to no item and no case report"),
]}


# Problems the loader itself refuses: a rulebook with any of them cannot be used at all.
LOAD_CHECKS = frozenset({"format", "unknown-evidence", "duplicate-id", "missing-description", "missing-rationale"})


@dataclass(frozen=True)
class LintResult:
    problems: tuple[LintProblem, ...]
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == WARNING)

    @property
    def exit_code(self) -> int:
        """2: a rulebook would not even load (bad input, as for evaluate); 1: lint errors; 0: clean."""
        if any(p.check in LOAD_CHECKS for p in self.problems):
            return 2
        return 1 if self.errors else 0

    def to_json(self) -> dict:
        return {"summary": {"files": self.files, "errors": self.errors, "warnings": self.warnings},
                "problems": [p.to_json() for p in self.problems]}


class _Context:
    """What the rulebook checks need: the loaded rulebook and line marks of its document."""

    def __init__(self, rulebook: Rulebook, doc: Document):
        self.rulebook = rulebook
        self.doc = doc
        raw_rules = doc.data.get("rules") if isinstance(doc.data, dict) else None
        self.index = {doc.line_of(("rules", i)): i for i in range(len(raw_rules))} if isinstance(raw_rules, list) else {}

    def problem(self, check: str, line: int | None, message: str, rule: str | None = None) -> LintProblem:
        prefix = f"rule {rule}: " if rule else ""
        return LintProblem(self.rulebook.source, line or 1, CHECKS[check].severity, prefix + message, check, rule)

    def pattern_line(self, rule: Rule, j: int) -> int | None:
        i = self.index.get(rule.line)
        when = rule.raw.get("when")
        if i is None or not isinstance(when, list) or len(when) != len(rule.patterns):
            return rule.line
        return self.doc.line_of(("rules", i, "when", j))


# -- checks that need the whole rulebook ------------------------------------------------


def check_unused_evidence(ctx: _Context) -> Iterator[LintProblem]:
    rb = ctx.rulebook
    cited = set(rb.fallback.evidence) | set(rb.safety_hold.evidence)
    cited |= {e for r in rb.rules for t in r.recommends for e in t.evidence}
    for eid in rb.evidence:
        if eid not in cited:
            yield ctx.problem("unused-evidence", ctx.doc.line_of(("evidence", eid)),
                              f"evidence '{eid}' is not cited by any recommendation")


def live_rules(rb: Rulebook) -> tuple[set[str], dict[str, tuple[int, str]]]:
    """Rules that can fire (a least fixpoint over derived facts), and why each other rule cannot.

    A rule can fire when no pattern contradicts itself and every pattern on a derived fact
    type is compatible with what some rule that can fire asserts.
    """
    why: dict[str, tuple[int, str]] = {}
    candidates: list[Rule] = []
    for rule in rb.rules:
        for j, p in enumerate(rule.patterns):
            reason = _self_contradiction(p, rb)
            if reason:
                why[rule.id] = (j, reason)
                break
        else:
            candidates.append(rule)
    live: set[str] = set()
    changed = True
    while changed:
        changed = False
        producers = [r for r in rb.rules if r.id in live]
        for rule in candidates:
            if rule.id in live:
                continue
            blocked = _needs_missing_fact(rule, rb, producers)
            if blocked is None:
                live.add(rule.id)
                changed = True
                why.pop(rule.id, None)
            else:
                why[rule.id] = blocked
    return live, why


def _self_contradiction(p: Pattern, rb: Rulebook) -> str | None:
    alts = pattern_alternatives(p)
    reasons = [contradiction(p.fact_type, tests, rb.fact_types) for tests in alts]
    if all(reasons):
        return f"the conditions on '{p.binding}' contradict each other: {reasons[0]}"
    return None


def _needs_missing_fact(rule: Rule, rb: Rulebook, producers: list[Rule]) -> tuple[int, str] | None:
    for j, p in enumerate(rule.patterns):
        if p.fact_type not in rb.derived_types:
            continue
        assertions = [a for r in producers for a in r.asserts if a.fact_type == p.fact_type]
        asserted_anywhere = [a for r in rb.rules for a in r.asserts if a.fact_type == p.fact_type]
        if not asserted_anywhere:
            return j, f"needs a fact of type '{p.fact_type}', which no rule asserts"
        ok = any(not contradiction(p.fact_type, tests + assertion_tests(a, rb.fact_types[p.fact_type]), rb.fact_types)
                 for a in assertions for tests in pattern_alternatives(p))
        if not ok:
            tests = " or ".join(_describe(p.fact_type, alt) for alt in pattern_alternatives(p)) or p.fact_type
            return j, f"needs a fact {tests}, but no rule that can fire asserts one like it"
    return None


def check_never_fires(ctx: _Context) -> Iterator[LintProblem]:
    _, why = live_rules(ctx.rulebook)
    for rule in ctx.rulebook.rules:
        if rule.id in why:
            j, reason = why[rule.id]
            yield ctx.problem("never-fires", ctx.pattern_line(rule, j), f"can never fire: {reason}", rule.id)


def dosing_codes(rule: Rule) -> set[str]:
    return {t.action for t in rule.recommends if t.action in vocab.DOSING_ACTIONS}


def can_overlap(a: Rule, b: Rule, rb: Rulebook) -> bool:
    """False when some fact type both rules test has no fact that could meet both rules' tests."""
    types = {p.fact_type for p in a.patterns} & {p.fact_type for p in b.patterns}
    for t in types:
        pa = [p for p in a.patterns if p.fact_type == t]
        pb = [p for p in b.patterns if p.fact_type == t]
        if not any(compatible(x, y, rb.fact_types) for x in pa for y in pb):
            return False
    return True


def check_dosing_conflicts(ctx: _Context) -> Iterator[LintProblem]:
    rb = ctx.rulebook
    dosing = [r for r in rb.rules if dosing_codes(r)]
    for a, b in combinations(dosing, 2):
        if a.priority != b.priority or a.id == b.id:
            continue
        ca, cb = dosing_codes(a), dosing_codes(b)
        if ca == cb and len(ca) == 1:
            continue
        if can_overlap(a, b, rb):
            yield ctx.problem("dosing-conflict", b.line,
                              f"recommends {', '.join(sorted(cb))} at priority {b.priority}, as does rule {a.id} "
                              f"(line {a.line}) with {', '.join(sorted(ca))}, and both can match the same facts; "
                              "the safety layer picks the most cautious", b.id)


def check_knowledge_map(ctx: _Context) -> Iterator[LintProblem]:
    """Map items and rules trace to each other (advisor/knowledge.py); only where a map exists."""
    from .knowledge import check, load_map, map_path

    path = map_path(ctx.rulebook.source)
    if not path.is_file():
        return
    for p in check(load_map(path), ctx.rulebook):
        file = ctx.rulebook.source if p.file == ctx.rulebook.source else os.path.relpath(p.file)
        yield LintProblem(file, p.line, CHECKS["knowledge-map"].severity, p.message, "knowledge-map", p.rule)


RULEBOOK_CHECKS: tuple[Callable[[_Context], Iterator[LintProblem]], ...] = (
    check_unused_evidence, check_never_fires, check_dosing_conflicts, check_knowledge_map,
)


def lint_file(path: str | os.PathLike) -> list[LintProblem]:
    """Every problem in one rulebook file, sorted by line."""
    report = inspect_rulebook(path)
    source = str(path)
    out = [LintProblem(loc.file or source, loc.line or 1, CHECKS[chk].severity, msg, chk, None)
           for loc, msg, chk in report.problems]
    if report.rulebook is not None and report.document is not None:
        ctx = _Context(report.rulebook, report.document)
        for check in RULEBOOK_CHECKS:
            out.extend(check(ctx))
    return sorted(set(out), key=lambda p: (p.file, p.line, p.check, p.message))


def lint(paths: list[str | os.PathLike]) -> LintResult:
    problems: list[LintProblem] = []
    for p in paths:
        problems.extend(lint_file(p))
    return LintResult(tuple(problems), len(paths))


# -- can these tests all hold on one fact? ----------------------------------------------

# Numeric fields with a fixed range (CTCAE grades 0-5; an ae term may cap its grade).
_GRADE_FIELDS = {("ae", "grade"), ("ae", "stated_grade"), ("ae", "worst_grade"), ("history", "grade"), ("lab", "grade")}


def pattern_alternatives(p: Pattern) -> list[list[Test]]:
    """The conjunctions of tests a fact must meet, one per any_of group (or just the plain tests)."""
    plain = list(p.tests)
    return [plain + list(g) for g in p.any_of] if p.any_of else [plain]


def compatible(a: Pattern, b: Pattern, fact_types: dict[str, dict[str, FieldSpec]]) -> bool:
    """Could one fact meet both patterns (same fact type)?"""
    return any(not contradiction(a.fact_type, x + y, fact_types)
               for x in pattern_alternatives(a) for y in pattern_alternatives(b))


def assertion_tests(a: Assertion, spec: dict[str, FieldSpec]) -> list[Test]:
    """What an asserted derived fact is known to look like, as tests."""
    out = []
    for name in spec:
        if name not in a.fields:
            out.append(Test(name, "exists", False))
        elif isinstance(a.fields[name], Ref):
            out.append(Test(name, "exists", True))
        else:
            out.append(Test(name, "eq", a.fields[name]))
    return out


def contradiction(fact_type: str, tests: list[Test], fact_types: dict[str, dict[str, FieldSpec]]) -> str | None:
    """Why no single fact can meet all the tests, or None when one might. Joins (refs) are ignored."""
    by_field: dict[str, list[Test]] = {}
    for t in tests:
        if not isinstance(t.value, Ref):
            by_field.setdefault(t.field, []).append(t)
    spec = fact_types.get(fact_type, {})
    for name, ts in by_field.items():
        why = _field_contradiction(fact_type, name, ts, spec.get(name), tests)
        if why:
            return why
    return None


def _describe(fact_type: str, ts: list[Test]) -> str:
    return " and ".join(f"{fact_type}.{t.describe()}" for t in ts)


def _field_contradiction(fact_type: str, name: str, ts: list[Test], fspec: FieldSpec | None, all_tests: list[Test]) -> str | None:
    exists = {t.value for t in ts if t.op == "exists"}
    others = [t for t in ts if t.op != "exists"]
    if len(exists) > 1 or (False in exists and others):
        return _describe(fact_type, ts)
    if not others:
        return None
    numeric = [t for t in others if t.op in ("gt", "gte", "lt", "lte") or (t.op == "eq" and _is_num(t.value))]
    if numeric or (fspec and fspec.kind == "number"):
        lo, lo_open, hi, hi_open = -float("inf"), False, float("inf"), False
        if (fact_type, name) in _GRADE_FIELDS:
            lo, hi = 0, _grade_cap(fact_type, all_tests)
        for t in others:
            v = t.value
            if t.op in ("gt", "gte") and _is_num(v) and (v > lo or (v == lo and t.op == "gt")):
                lo, lo_open = v, t.op == "gt"
            elif t.op in ("lt", "lte") and _is_num(v) and (v < hi or (v == hi and t.op == "lt")):
                hi, hi_open = v, t.op == "lt"
            elif t.op == "eq" and _is_num(v):
                if v < lo or v > hi or (v == lo and lo_open) or (v == hi and hi_open):
                    return _describe(fact_type, ts) + _cap_note(fact_type, name, all_tests)
                lo, hi, lo_open, hi_open = v, v, False, False
        if lo > hi or (lo == hi and (lo_open or hi_open)):
            return _describe(fact_type, ts) + _cap_note(fact_type, name, all_tests)
        points = {t.value for t in others if t.op == "ne"} | {x for t in others if t.op == "not_in" for x in t.value}
        if lo == hi and lo in points:
            return _describe(fact_type, ts)
        return None
    if fspec is not None and fspec.kind == "list":
        return None
    allowed: set | None = None
    if fspec is not None and fspec.kind == "enum":
        allowed = set(fspec.values)
    elif fspec is not None and fspec.kind == "bool":
        allowed = {True, False}
    for t in others:
        if t.op == "eq":
            allowed = {t.value} if allowed is None else allowed & {t.value}
        elif t.op == "in":
            allowed = set(t.value) if allowed is None else allowed & set(t.value)
    excluded = {t.value for t in others if t.op == "ne"} | {x for t in others if t.op == "not_in" for x in t.value}
    if allowed is not None and not (allowed - excluded):
        return _describe(fact_type, ts)
    return None


def _grade_cap(fact_type: str, tests: list[Test]) -> int:
    """The highest grade a fact can carry: CTCAE caps some terms below 5."""
    if fact_type not in ("ae", "history"):
        return 5
    terms: set | None = None
    for t in tests:
        if t.field == "term" and t.op == "eq":
            terms = {t.value}
        elif t.field == "term" and t.op == "in":
            terms = set(t.value)
    if not terms:
        return 5
    return max(vocab.MAX_GRADE.get(term, 5) for term in terms)


def _cap_note(fact_type: str, name: str, tests: list[Test]) -> str:
    cap = _grade_cap(fact_type, tests)
    if (fact_type, name) not in _GRADE_FIELDS or cap >= 5:
        return ""
    terms = next(t for t in tests if t.field == "term" and t.op in ("eq", "in"))
    which = terms.value if terms.op == "eq" else ", ".join(terms.value)
    return f" ({which}: CTCAE v5 grades go up to {cap})"


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
