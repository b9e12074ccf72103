"""What an evaluation returns: typed, immutable, and the same content as the JSON output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import DISCLAIMER, vocab


@dataclass(frozen=True)
class Recommendation:
    action: str
    params: dict[str, Any]
    rule: str
    rationale: str
    evidence: tuple[str, ...]
    also_from: tuple[str, ...] = ()  # other rules that recommended the same thing

    @property
    def kind(self) -> str:
        return vocab.ACTIONS[self.action].kind

    def to_json(self) -> dict[str, Any]:
        out = {"action": self.action, "params": self.params, "rule": self.rule, "rationale": self.rationale,
               "evidence": list(self.evidence)}
        if self.also_from:
            out["also_from"] = list(self.also_from)
        return out


@dataclass(frozen=True)
class Derived:
    term: str
    grade: int
    basis: str

    def to_json(self) -> dict[str, Any]:
        return {"term": self.term, "grade": self.grade, "from": self.basis}


@dataclass(frozen=True)
class TraceEvent:
    """One step of the reasoning; `data` holds the step's content (facts, rule, resolution)."""

    step: str  # input | conversion | grade | fired | safety | fallback | final
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, **self.data}


@dataclass(frozen=True)
class RulebookInfo:
    id: str
    version: str
    sha256: str
    source: str


@dataclass(frozen=True)
class Advice:
    rulebook: RulebookInfo
    derived: tuple[Derived, ...]
    recommendations: tuple[Recommendation, ...]
    warnings: tuple[str, ...]
    trace: tuple[TraceEvent, ...]
    no_rule_applied: bool = False
    evidence_titles: dict[str, str] = field(default_factory=dict)
    # The typed inputs of the trace: the facts the rules saw and every firing, in order.
    facts: tuple[Any, ...] = ()  # advisor.facts.Fact
    firings: tuple[Any, ...] = ()  # advisor.engine.Firing

    @property
    def dosing(self) -> Recommendation:
        return next(r for r in self.recommendations if r.kind == "dosing")

    def actions(self) -> list[str]:
        return [r.action for r in self.recommendations]

    def cited(self) -> set[str]:
        return {e for r in self.recommendations for e in r.evidence}

    def fired_rules(self) -> list[str]:
        return [f.rule_id for f in self.firings]

    def to_json(self, with_trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rulebook": {"id": self.rulebook.id, "version": self.rulebook.version, "sha256": self.rulebook.sha256},
            "derived": [d.to_json() for d in self.derived],
            "recommendations": [r.to_json() for r in self.recommendations],
            "warnings": list(self.warnings),
            "no_rule_applied": self.no_rule_applied,
            "notice": DISCLAIMER,
        }
        if with_trace:
            out["trace"] = [e.to_json() for e in self.trace]
        return out
