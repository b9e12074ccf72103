"""The only module that touches durable-rules.

Design, from what durable-rules 2.0.28 was seen to do (each behaviour reproduced before
relying on it): we drive the C extension directly, not durable.engine.Host, because the Host
starts timer threads that run actions after assert returns, swallows exceptions raised in
actions, and loses queued actions when one fact of a batch matches no rule. One compiled
ruleset per rulebook per process (creating one costs ~14 ms and repeated creation crashed);
every evaluation uses the same session id and retracts every fact it asserted afterwards
(deleting the state on any failure), so nothing leaks from one patient to the next. Cross-fact negation is not offered: a `$not` pattern
fired even when the negating fact was in the same batch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import orjson
from typing import Any

from .compiler import SENTINEL_FACT, SENTINEL_RULE, compile_rulebook, ruleset_name
from .conditions import resolve
from .errors import EngineError
from .facts import Fact
from .rulebook import Rulebook

SID = "0"


def _dumps(value: Any) -> str:
    # orjson: facts go in and matches come out of the C core as JSON text on every state;
    # the stdlib codec was a third of the wrapper's time (benchmarks/RESULTS.md).
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:
        raise EngineError(f"a fact or rule value cannot be passed to durable-rules: {exc}") from None


MAX_FIRINGS = 5000  # a rulebook whose rules keep asserting facts for each other would loop


@dataclass(frozen=True)
class Firing:
    """One rule firing: which rule, the facts its patterns matched, what it asserted."""

    seq: int
    rule_id: str
    matched: dict[str, dict[str, Any]]  # binding -> fact (id, type and fields)
    asserted: tuple[dict[str, Any], ...]


def _strip(fact: dict) -> dict:
    return {k: v for k, v in fact.items() if k != "sid"}


class _Compiled:
    def __init__(self, rulebook: Rulebook):
        try:
            import durable_rules_engine as dre  # heavy C extension: imported only when rules run
        except ImportError as exc:  # e.g. the unpatched release on Python 3.13 (tools/build_durable.py)
            raise EngineError(f"durable-rules is installed but cannot be loaded: {exc}. On Python 3.13 install "
                              "the patched build: python tools/build_durable.py, then pip install --find-links "
                              "wheelhouse (see the README's Quick start)") from None

        self.dre = dre
        self.rulebook = rulebook
        self.rules = rulebook.by_id
        self.definition = compile_rulebook(rulebook)
        try:
            self.handle = dre.create_ruleset(ruleset_name(rulebook), _dumps(self.definition))
        except dre.error as exc:
            raise EngineError(f"durable-rules rejected the compiled rulebook {rulebook.id}: {exc}") from None


_CACHE: dict[str, _Compiled] = {}


def compiled(rulebook: Rulebook) -> _Compiled:
    key = rulebook.sha256 + rulebook.id
    if key not in _CACHE:
        _CACHE[key] = _Compiled(rulebook)
    return _CACHE[key]


# The process has one durable-rules session (SID) per ruleset: two threads evaluating at once
# (the CDS Hooks service, any threaded caller) would mix two patients' facts. One at a time.
_SESSION = threading.Lock()


def run(rulebook: Rulebook, facts: list[Fact]) -> list[Firing]:
    """Fire the rules for one state's facts, one evaluation at a time per process (see _run)."""
    with _SESSION:
        return _run(rulebook, facts)


def _run(rulebook: Rulebook, facts: list[Fact]) -> list[Firing]:
    """Assert the facts, fire the rules to quiescence, and return every firing in order.

    The facts go in as one JSON batch; afterwards every fact of the evaluation (input,
    sentinel, derived) is retracted in one call, which leaves the session empty for the
    next state. Retracting costs the same for any rulebook size, while deleting the state
    and letting durable-rules create a new one costs O(rules) (measured: 26 states/s at
    3,000 rules against 8,300/s retracting; benchmarks/RESULTS.md). If anything fails
    part-way, the state is deleted instead so no half-finished session survives.
    """
    c = compiled(rulebook)
    dre = c.dre
    handle = c.handle
    rules = c.rules
    firings: list[Firing] = []
    derived_n = 0
    # The matched facts come back from durable-rules as JSON; we keep our own copy of each
    # fact (id, type, fields: what durable-rules returns, less the sid) and look it up by id.
    own = {f.id: {"id": f.id, "type": f.type, **f.data} for f in facts}
    batch = _dumps([{"sid": SID, **d} for d in own.values()] + [{"sid": SID, **SENTINEL_FACT}])
    derived_json: list[str] = []
    seen: set[tuple] = set()
    clean = False
    try:
        result = dre.assert_facts(handle, batch)
        state_handle = result[1]
        action = dre.start_action_for_state(handle, state_handle)
        while action:
            state_json, message_json = action[0], action[1]
            message = orjson.loads(message_json)
            rule_id, bound = next(iter(message.items()))
            # durable-rules starts one action per satisfied branch of an `$or` (has_any, in):
            # the same rule on the same facts fires once.
            key = (rule_id, tuple(sorted((name, fact.get("id")) for name, fact in bound.items())))
            if rule_id != SENTINEL_RULE and key not in seen:
                seen.add(key)
                if len(firings) >= MAX_FIRINGS:
                    raise EngineError(f"more than {MAX_FIRINGS} rule firings for one state; rules assert facts for each other in a loop (last: {rule_id})")
                matched = {name: own[fact["id"]] if fact.get("id") in own else _strip(fact) for name, fact in bound.items()}
                rule = rules[rule_id]
                asserted = []
                for a in rule.asserts:
                    derived_n += 1
                    fields = {k: resolve(v, matched) for k, v in a.fields.items()}
                    fact = {"id": f"derived-{derived_n}", "type": a.fact_type, **{k: v for k, v in fields.items() if v is not None}}
                    asserted.append(fact)
                    own[fact["id"]] = fact
                    text = _dumps({"sid": SID, **fact})
                    derived_json.append(text)
                    dre.assert_fact(handle, text)  # 1 means no rule matches the new fact: legitimate
                firings.append(Firing(len(firings), rule_id, matched, tuple(asserted)))
            dre.update_state(handle, state_json)
            next_message = dre.complete_and_start_action(handle, state_handle)
            action = (state_json, next_message) if next_message else None
        if derived_json:
            batch = batch[:-1] + "," + ",".join(derived_json) + "]"
        dre.retract_facts(handle, batch)
        clean = True
    except dre.error as exc:
        raise EngineError(f"durable-rules failed while evaluating: {exc}") from None
    finally:
        if not clean:
            try:
                dre.delete_state(handle, SID)
            except dre.error:
                pass  # nothing to delete: the batch was rejected before a state existed
    return firings
