"""Rulebook -> durable-rules ruleset definition (plain JSON-able dicts). A pure function."""

from __future__ import annotations

from .rulebook import Rule, Rulebook


def compile_rule(rule: Rule) -> dict:
    # durable-rules fires lower `pri` first; rulebook priorities are small non-negative ints.
    return {"all": [p.to_durable() for p in rule.patterns], "pri": rule.priority}


# Every session gets one fact this rule matches: deleting a session whose facts matched no
# rule crashed durable-rules (segfault in delete_state on a fresh ruleset, reproduced here).
SENTINEL_RULE = "__sentinel__"
SENTINEL_FACT = {"id": "__sentinel__", "type": "__sentinel__"}


def compile_rulebook(rulebook: Rulebook) -> dict[str, dict]:
    """One ruleset keyed by rule id, in rulebook order (durable-rules breaks ties by definition order)."""
    out = {rule.id: compile_rule(rule) for rule in rulebook.rules}
    out[SENTINEL_RULE] = {"all": [{"s": {"type": "__sentinel__"}}], "pri": 1001}
    return out


def ruleset_name(rulebook: Rulebook) -> str:
    return f"{rulebook.id}-{rulebook.sha256[:12]}"
