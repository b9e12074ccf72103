"""The safety layer: after the rules, before anyone sees the advice.

Guarantees, for every input: exactly one dosing decision that fits the imatinib status;
doses on the ladder and never above its top (800 mg/d); no continue, escalate or restart
while a grade >= 3 event is unresolved; conflicts resolved by a documented precedence
(vocab.DOSING_PRECEDENCE: switch > discontinue > interrupt > reduce/rechallenge >
escalate > continue; the lowest dose among equals). Every change is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from . import vocab
from .advice import Recommendation, TraceEvent
from .dosing import DoseContext
from .facts import Fact
from .rulebook import Rulebook

SAFETY_RULE = "safety-layer"
FALLBACK_RULE = "no-rule-applies"


@dataclass(frozen=True)
class SafetyResult:
    recommendations: tuple[Recommendation, ...]
    events: tuple[TraceEvent, ...]
    no_rule_applied: bool
    warnings: tuple[str, ...]


def _key(r: Recommendation) -> str:
    return r.action + json.dumps(r.params, sort_keys=True)


def _dose_of(r: Recommendation) -> float:
    mg = r.params.get("dose_mg")
    if mg is None:
        return float("inf")
    return mg / 2 if r.params.get("schedule") == "every_other_day" else mg


def unresolved_severe(facts: list[Fact]) -> list[str]:
    return sorted({f"{f.get('term')} grade {f.get('grade')}" for f in facts
                   if f.type == "ae" and f.get("active") and (f.get("grade") or 0) >= 3})


def apply(candidates: list[Recommendation], facts: list[Fact], rulebook: Rulebook, ctx: DoseContext,
          status: str, dose_mg: int | None, schedule: str, rule_order: dict[str, int]) -> SafetyResult:
    events: list[TraceEvent] = []
    warnings: list[str] = []

    def note(kind: str, text: str, **data: Any) -> None:
        events.append(TraceEvent("safety", {"resolution": kind, "text": text, **data}))

    taking = status == "taking"
    allowed = vocab.DOSING_WHILE_TAKING if taking else vocab.DOSING_WHILE_OFF
    current_mg = dose_mg

    # 1. Make every dosing candidate fit the status and the ladder.
    fitted: list[Recommendation] = []
    for r in candidates:
        if r.kind != "dosing":
            fitted.append(r)
            continue
        new = r
        if new.action not in allowed:
            if taking and new.action == "rechallenge_imatinib":
                mapped = "reduce_dose" if _dose_of(new) < (current_mg or 0) else "continue_imatinib"
            elif not taking and new.action in ("continue_imatinib", "reduce_dose", "escalate_dose"):
                mapped = "rechallenge_imatinib" if status == "interrupted" or new.action != "continue_imatinib" else "interrupt_imatinib"
            else:
                mapped = "interrupt_imatinib"
            params = {k: v for k, v in new.params.items() if k in vocab.ACTIONS[mapped].params}
            note("status", f"{new.action} from {new.rule} does not apply while imatinib is {status}; read as {mapped}", rule=new.rule)
            new = replace(new, action=mapped, params=params)
        if "dose_mg" in new.params:
            mg = new.params["dose_mg"]
            if mg > rulebook.max_mg:
                note("dose_cap", f"{new.rule}: {mg} mg/d is above {rulebook.max_mg} mg/d; capped", rule=new.rule)
                new = replace(new, params={**new.params, **ctx.dose(len(ctx.ladder) - 1)})
            elif (mg, new.params.get("schedule", "daily")) not in ctx.ladder and (mg, "daily") not in ctx.ladder:
                lower = max((i for i, (m, _) in enumerate(ctx.ladder) if m <= mg), default=0)
                note("dose_ladder", f"{new.rule}: {mg} mg/d is not on the ladder; {ctx.ladder[lower][0]} mg/d used", rule=new.rule)
                new = replace(new, params={**new.params, **ctx.dose(lower)})
        if taking and current_mg and new.action == "escalate_dose" and _dose_of(new) <= current_mg:
            note("direction", f"{new.rule}: escalation to {new.params.get('dose_mg')} mg/d is not above the current {current_mg} mg/d; read as continue", rule=new.rule)
            new = replace(new, action="continue_imatinib", params=ctx.dose(ctx.current) if ctx.current is not None else {})
        if taking and current_mg and new.action == "reduce_dose" and _dose_of(new) >= current_mg and new.params.get("schedule") != "every_other_day":
            if ctx.current is not None and ctx.current == 0:
                note("floor", f"{new.rule}: no lower dose than {current_mg} mg on the ladder; hold instead", rule=new.rule)
                new = replace(new, action="interrupt_imatinib", params={"until": "the clinician reviews: already at the lowest dose"})
            else:
                note("direction", f"{new.rule}: reduction to {new.params.get('dose_mg')} mg/d is not below {current_mg} mg/d; read as continue", rule=new.rule)
                new = replace(new, action="continue_imatinib", params=ctx.dose(ctx.current) if ctx.current is not None else {})
        fitted.append(new)

    # 2. Exactly one dosing decision: precedence, then the lowest dose.
    dosing = [r for r in fitted if r.kind == "dosing"]
    others = [r for r in fitted if r.kind != "dosing"]
    no_rule = False
    if dosing:
        dosing.sort(key=lambda r: (-vocab.DOSING_PRECEDENCE[r.action], _dose_of(r), rule_order.get(r.rule, 0), _key(r)))
        chosen = dosing[0]
        for r in dosing[1:]:
            if _key(r) == _key(chosen):
                also = tuple(a for a in dict.fromkeys(chosen.also_from + (r.rule,)) if a != chosen.rule)
                chosen = replace(chosen, also_from=also,
                                 evidence=tuple(dict.fromkeys(chosen.evidence + r.evidence)))
                continue
            why = "precedence" if r.action != chosen.action else "lower dose wins"
            note("conflict", f"{r.action} {r.params.get('dose_mg', '')} from {r.rule} set aside for {chosen.action} "
                 f"{chosen.params.get('dose_mg', '')} from {chosen.rule} ({why})".replace("  ", " "),
                 kept=chosen.rule, dropped=r.rule, dropped_action=r.action)
    else:
        no_rule = True
        fb = rulebook.fallback
        if taking:
            chosen = Recommendation("continue_imatinib", ctx.dose(ctx.current) if ctx.current is not None else {},
                                    FALLBACK_RULE, "No rule decides the dose; the current dose stands until the clinician decides.", fb.evidence)
        else:
            chosen = Recommendation("interrupt_imatinib", {"until": "the clinician decides"}, FALLBACK_RULE,
                                    f"No rule decides whether to restart; imatinib stays {status.replace('_', ' ')} until the clinician decides.", fb.evidence)
        others.append(Recommendation("clinician_review", {"reason": "no rule in the rulebook covers this state"}, FALLBACK_RULE, fb.rationale, fb.evidence))
        warnings.append("No rule in the rulebook decides the dosing for this state: the clinician must decide.")
        events.append(TraceEvent("fallback", {"text": f"no rule made a dosing decision; {chosen.action} keeps the status quo and the clinician decides"}))

    # 3. No continue, escalate or restart during an unresolved grade >= 3 event.
    severe = unresolved_severe(facts)
    if severe and chosen.action in ("continue_imatinib", "escalate_dose", "reduce_dose", "rechallenge_imatinib"):
        hold = rulebook.safety_hold
        note("grade3_hold", f"{chosen.action} from {chosen.rule} blocked: unresolved {', '.join(severe)}; imatinib held",
             dropped=chosen.rule, dropped_action=chosen.action)
        chosen = Recommendation("interrupt_imatinib", {"until": "every grade >= 3 event has resolved to grade <= 1"},
                                SAFETY_RULE, hold.rationale, hold.evidence)

    # 4. One recommendation per co-treatment or workup code: list parameters are united,
    # intervals take the shortest, other parameters come from the first rule in rulebook order.
    merged: dict[str, Recommendation] = {}
    for r in sorted(others, key=lambda r: (rule_order.get(r.rule, 10**6), _key(r))):
        if r.action in merged:
            merged[r.action] = _merge_same_action(merged[r.action], r)
        else:
            merged[r.action] = r
    kind_order = {"co_treatment": 0, "workup": 1}
    rest = sorted(merged.values(), key=lambda r: (kind_order[r.kind], rule_order.get(r.rule, 10**6), r.action, _key(r)))
    return SafetyResult((chosen, *rest), tuple(events), no_rule, tuple(warnings))


def _merge_same_action(first: Recommendation, other: Recommendation) -> Recommendation:
    params = dict(first.params)
    for k, v in other.params.items():
        if k not in params:
            params[k] = v
        elif isinstance(v, list) and isinstance(params[k], list):
            params[k] = list(dict.fromkeys([*params[k], *v]))
        elif k == "interval_days" and isinstance(v, (int, float)):
            params[k] = min(params[k], v)
    also = tuple(dict.fromkeys(first.also_from + (other.rule,) + other.also_from))
    return replace(first, params=params, also_from=tuple(a for a in also if a != first.rule),
                   evidence=tuple(dict.fromkeys(first.evidence + other.evidence)))
