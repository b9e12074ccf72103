"""The only module that touches durable-rules.

Design, from what durable-rules does here (../shared/reference/durable-rules.md, each
reproduced): we drive the C extension directly, not durable.engine.Host, because the Host
starts timer threads that run actions after assert returns, swallows exceptions raised in
actions, and loses queued actions when one fact of a batch matches no rule. One compiled
ruleset per rulebook per process (creating one costs ~14 ms and repeated creation crashed);
every evaluation uses the same session id and deletes its state afterwards, so nothing
leaks from one patient to the next. Cross-fact negation is not offered: a `$not` pattern
fired even when the negating fact was in the same batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .compiler import SENTINEL_FACT, SENTINEL_RULE, compile_rulebook, ruleset_name
from .conditions import Ref
from .errors import EngineError
from .facts import Fact
from .rulebook import Rulebook

SID = "0"
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


def resolve(value: Any, matched: dict[str, dict]) -> Any:
    if isinstance(value, Ref):
        return matched.get(value.binding, {}).get(value.field)
    return value


class _Compiled:
    def __init__(self, rulebook: Rulebook):
        import durable_rules_engine as dre  # heavy C extension: imported only when rules run

        self.dre = dre
        self.rulebook = rulebook
        self.rules = {r.id: r for r in rulebook.rules}
        self.definition = compile_rulebook(rulebook)
        try:
            self.handle = dre.create_ruleset(ruleset_name(rulebook), json.dumps(self.definition, ensure_ascii=False))
        except dre.error as exc:
            raise EngineError(f"durable-rules rejected the compiled rulebook {rulebook.id}: {exc}") from None


_CACHE: dict[str, _Compiled] = {}


def compiled(rulebook: Rulebook) -> _Compiled:
    key = rulebook.sha256 + rulebook.id
    if key not in _CACHE:
        _CACHE[key] = _Compiled(rulebook)
    return _CACHE[key]


def run(rulebook: Rulebook, facts: list[Fact]) -> list[Firing]:
    """Assert the facts, fire the rules to quiescence, and return every firing in order."""
    c = compiled(rulebook)
    dre = c.dre
    firings: list[Firing] = []
    derived_n = 0
    messages = [f.as_message(SID) for f in facts] + [{"sid": SID, **SENTINEL_FACT}]
    try:
        result = dre.assert_facts(c.handle, json.dumps(messages, ensure_ascii=False))
        state_handle = result[1]
        action = dre.start_action_for_state(c.handle, state_handle)
        while action:
            state_json, message_json = action[0], action[1]
            message = json.loads(message_json)
            rule_id, bound = next(iter(message.items()))
            if rule_id == SENTINEL_RULE:
                dre.update_state(c.handle, state_json)
                next_message = dre.complete_and_start_action(c.handle, state_handle)
                action = (state_json, next_message) if next_message else None
                continue
            if len(firings) >= MAX_FIRINGS:
                raise EngineError(f"more than {MAX_FIRINGS} rule firings for one state; rules assert facts for each other in a loop (last: {rule_id})")
            matched = {name: _strip(fact) for name, fact in bound.items()}
            rule = c.rules[rule_id]
            asserted = []
            for a in rule.asserts:
                derived_n += 1
                fields = {k: resolve(v, matched) for k, v in a.fields.items()}
                fact = {"sid": SID, "id": f"derived-{derived_n}", "type": a.fact_type, **{k: v for k, v in fields.items() if v is not None}}
                asserted.append(_strip(fact))
                code = dre.assert_fact(c.handle, json.dumps(fact, ensure_ascii=False))
                del code  # 1 means no rule matches the new fact: legitimate, nothing to do
            firings.append(Firing(len(firings), rule_id, matched, tuple(asserted)))
            dre.update_state(c.handle, state_json)
            next_message = dre.complete_and_start_action(c.handle, state_handle)
            action = (state_json, next_message) if next_message else None
    except dre.error as exc:
        raise EngineError(f"durable-rules failed while evaluating: {exc}") from None
    finally:
        try:
            dre.delete_state(c.handle, SID)
        except dre.error:
            pass  # nothing to delete: the batch was rejected before a state existed
    return firings
