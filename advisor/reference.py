"""A pure-Python forward-chaining evaluator of the same compiled rulebook: the engine's oracle.

It reproduces what advisor.engine gets from durable-rules, without durable-rules:
- a rule fires once for every combination of facts that meets its patterns in order (a later
  pattern may compare with a field of an earlier one: a join through a Ref);
- a firing may assert derived facts, which can make further rules fire (to quiescence);
- each (rule, matched fact ids) combination fires once (refraction);
- the agenda fires lower `priority` first, then the combination that became ready first.

The conditions are evaluated by Pattern.matches / Test.evaluate (advisor.conditions), the
same model that compiles to durable-rules JSON; tests/test_reference.py checks on every
scenario step and on generated states that both backends fire the same rules on the same
facts and give the same advice. `advisor explain` can use it to show why a rule did not fire.
"""

from __future__ import annotations

import heapq
from typing import Any

from .conditions import resolve
from .engine import MAX_FIRINGS, Firing
from .errors import EngineError
from .facts import Fact
from .rulebook import Rule, Rulebook


class _Plan:
    """Rules grouped by the fact types they read (computed once per rulebook)."""

    def __init__(self, rulebook: Rulebook):
        self.rules = rulebook.rules
        self.order = rulebook.order
        self.by_type: dict[str, list[Rule]] = {}
        for r in rulebook.rules:
            for t in dict.fromkeys(p.fact_type for p in r.patterns):
                self.by_type.setdefault(t, []).append(r)


_PLANS: dict[str, _Plan] = {}


def _plan(rulebook: Rulebook) -> _Plan:
    key = rulebook.sha256 + rulebook.id
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(rulebook)
    return plan


def matches(rule: Rule, by_type: dict[str, list[dict]], must_include: dict | None = None) -> list[dict[str, dict]]:
    """Every binding -> fact combination meeting the rule's patterns (optionally using one given fact)."""
    out: list[dict[str, dict]] = []
    patterns = rule.patterns
    n = len(patterns)

    def walk(i: int, bound: dict[str, dict], used: bool) -> None:
        if i == n:
            if must_include is None or used:
                out.append(dict(bound))
            return
        p = patterns[i]
        for fact in by_type.get(p.fact_type, ()):
            # as in durable-rules, one fact fills at most one pattern of a rule
            if any(fact is other for other in bound.values()):
                continue
            if p.matches(fact, bound):
                bound[p.binding] = fact
                walk(i + 1, bound, used or fact is must_include)
                del bound[p.binding]

    walk(0, {}, False)
    return out


def run(rulebook: Rulebook, facts: list[Fact]) -> list[Firing]:
    """Assert the facts, fire the rules to quiescence, and return every firing in order."""
    plan = _plan(rulebook)
    by_type: dict[str, list[dict]] = {}
    for f in facts:
        by_type.setdefault(f.type, []).append({"id": f.id, "type": f.type, **f.data})
    agenda: list[tuple[int, int, int, str, dict[str, dict]]] = []  # (priority, arrival, rule order, id, bound)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    arrival = 0

    def schedule(rule: Rule, combos: list[dict[str, dict]]) -> None:
        nonlocal arrival
        for bound in combos:
            key = (rule.id, tuple(bound[p.binding]["id"] for p in rule.patterns))
            if key in seen:
                continue
            seen.add(key)
            arrival += 1
            heapq.heappush(agenda, (rule.priority, plan.order[rule.id], -arrival, rule.id, bound))

    for rule in plan.rules:
        schedule(rule, matches(rule, by_type))
    firings: list[Firing] = []
    derived_n = 0
    while agenda:
        _, _, _, rule_id, bound = heapq.heappop(agenda)
        if len(firings) >= MAX_FIRINGS:
            raise EngineError(f"more than {MAX_FIRINGS} rule firings for one state; rules assert facts for each other in a loop (last: {rule_id})")
        rule = plan.rules[plan.order[rule_id]]
        matched = {name: dict(fact) for name, fact in bound.items()}
        asserted: list[dict[str, Any]] = []
        for a in rule.asserts:
            derived_n += 1
            fields = {k: resolve(v, matched) for k, v in a.fields.items()}
            fact = {"id": f"derived-{derived_n}", "type": a.fact_type, **{k: v for k, v in fields.items() if v is not None}}
            asserted.append(dict(fact))
            by_type.setdefault(a.fact_type, []).append(fact)
            for other in plan.by_type.get(a.fact_type, ()):
                schedule(other, matches(other, by_type, must_include=fact))
        firings.append(Firing(len(firings), rule_id, matched, tuple(asserted)))
    return firings
