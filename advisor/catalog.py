"""The rules of a rulebook as rows and details, for authors (`advisor rules list|show`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import vocab
from .compiler import compile_rule
from .errors import InputError
from .rulebook import Rule, Rulebook


def rule_rows(rulebook: Rulebook) -> list[dict[str, Any]]:
    """One row per rule, in rulebook order (what `rules list --json` prints)."""
    return [{"id": r.id, "area": r.area, "priority": r.priority, "line": r.line, "description": r.description,
             "actions": [t.action for t in r.recommends], "asserts": [a.fact_type for a in r.asserts],
             "evidence": list(dict.fromkeys(e for t in r.recommends for e in t.evidence))} for r in rulebook.rules]


def rule_detail(rulebook: Rulebook, rule_id: str) -> dict[str, Any]:
    """The rule as written, its compiled durable-rules form and its evidence in full."""
    rule = rulebook.rule(rule_id)
    if rule is None:
        raise InputError(f"no rule '{rule_id}' in {rulebook.source}{vocab.suggest(rule_id, [r.id for r in rulebook.rules])}")
    evidence = {}
    for e in dict.fromkeys(e for t in rule.recommends for e in t.evidence):
        ev = rulebook.evidence.get(e)
        if ev:
            evidence[e] = {"title": ev.title, "kind": ev.kind, "citation": ev.citation, **({"url": ev.url} if ev.url else {})}
    return {"id": rule.id, "source": f"{rule.source}:{rule.line}", "written": _as_written(rulebook, rule),
            "compiled": {rule.id: compile_rule(rule)}, "evidence": evidence}


def _as_written(rulebook: Rulebook, rule: Rule) -> str:
    """The rule's lines in the file, up to the next rule (trailing comments and blanks dropped)."""
    try:
        lines = Path(rulebook.source).read_text(encoding="utf-8").splitlines()
    except OSError:
        import yaml

        return yaml.safe_dump([rule.raw], sort_keys=False, allow_unicode=True)
    starts = sorted(r.line for r in rulebook.rules if r.line)
    end = next((s for s in starts if s > rule.line), len(lines) + 1)
    block = lines[rule.line - 1:end - 1]
    while block and (not block[-1].strip() or block[-1].lstrip().startswith("#")):
        block.pop()
    return "\n".join(block) + "\n"
