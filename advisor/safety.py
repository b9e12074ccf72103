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
from .facts import Fact, ladder_level
from .rulebook import Rulebook

SAFETY_RULE = "safety-layer"
FALLBACK_RULE = "no-rule-applies"


@dataclass(frozen=True)
class SafetyResult:
    recommendations: tuple[Recommendation, ...]
    events: tuple[TraceEvent, ...]
    no_rule_applied: bool
    warnings: tuple[str, ...]


# One encoder for every key: json.dumps(..., sort_keys=True) builds a new encoder per call,
# and the keys are computed ~14 times per state (benchmarks/RESULTS.md). Same text as before.
_encode = json.JSONEncoder(sort_keys=True).encode


def _key(r: Recommendation) -> str:
    return r.action + _encode(r.params)


class _Key:
    """_key(r), computed only if a comparison gets to it: the sorts compare it last, to break
    ties, so most states never need it. Orders and compares exactly as the string does."""

    __slots__ = ("r", "text")

    def __init__(self, r: Recommendation):
        self.r = r
        self.text: str | None = None

    def value(self) -> str:
        if self.text is None:
            self.text = _key(self.r)
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.value() == other.value()

    def __lt__(self, other: "_Key") -> bool:
        return self.value() < other.value()

    __hash__ = None  # type: ignore[assignment]


def _dose_of(r: Recommendation) -> float:
    mg = r.params.get("dose_mg")
    if mg is None:
        return float("inf")
    return mg / 2 if r.params.get("schedule") == "every_other_day" else mg


def unresolved_severe(facts: list[Fact]) -> list[str]:
    """Grade >= 3 events still running: active events, and any lab graded >= 3 today whatever
    an event entry says of it (a lab is never hidden by the state's words)."""
    events = {f"{f.get('term')} grade {f.get('grade')}" for f in facts
              if f.type == "ae" and f.get("active") and (f.get("grade") or 0) >= 3}
    labs = {f"{f.get('analyte')} grade {f.get('grade')} (lab)" for f in facts
            if f.type == "lab" and (f.get("grade") or 0) >= 3}
    return sorted(events | labs)


def apply(candidates: list[Recommendation], facts: list[Fact], rulebook: Rulebook, ctx: DoseContext,
          status: str, rule_order: dict[str, int]) -> SafetyResult:
    events: list[TraceEvent] = []
    warnings: list[str] = []

    def note(kind: str, text: str, **data: Any) -> None:
        events.append(TraceEvent("safety", {"resolution": kind, "text": text, **data}))

    taking = status == "taking"

    # 1. Make every dosing candidate fit the ladder and the status. Directions are judged on
    # ladder levels, not nominal mg: 100 mg every other day is below 100 mg daily.
    fitted: list[Recommendation] = []
    cur = ctx.current
    imatinib = next((f for f in facts if f.type == "imatinib"), None)
    for r in candidates:
        if r.kind != "dosing":
            fitted.append(r)
            continue
        new = _within_caps(_on_ladder(r, ctx, rulebook, note), imatinib, ctx, note)
        lvl = _level(new, ctx)
        if taking:
            new = _fit_while_taking(new, lvl, cur, ctx, note)
        elif new.action in ("continue_imatinib", "reduce_dose", "escalate_dose"):
            if status == "interrupted" or new.action != "continue_imatinib":
                params = ctx.dose(lvl) if lvl is not None else (ctx.dose(cur) if cur is not None else {})
                mapped = replace(new, action="rechallenge_imatinib", params=params)
            else:
                mapped = replace(new, action="interrupt_imatinib", params={"until": "the clinician decides"})
            note("status", f"{new.action} from {new.rule} does not apply while imatinib is {status}; read as {mapped.action}", rule=new.rule)
            new = mapped
        fitted.append(new)

    # 2. Exactly one dosing decision: precedence, then the lowest dose.
    dosing = [r for r in fitted if r.kind == "dosing"]
    others = [r for r in fitted if r.kind != "dosing"]
    no_rule = False
    if dosing:
        dosing.sort(key=lambda r: (-vocab.DOSING_PRECEDENCE[r.action], _dose_of(r), rule_order.get(r.rule, 0), _Key(r)))
        chosen = dosing[0]
        chosen_key = _Key(chosen)
        for r in dosing[1:]:
            # _key is the action then the params' JSON (which starts with "{"): another action is another key
            if r.action == chosen.action and _Key(r) == chosen_key:
                also = tuple(a for a in dict.fromkeys(chosen.also_from + (r.rule,)) if a != chosen.rule)
                chosen = replace(chosen, also_from=also,
                                 evidence=tuple(dict.fromkeys(chosen.evidence + r.evidence)))
                continue
            why = "precedence" if r.action != chosen.action else "lower dose wins"
            note("conflict", f"{r.action} {r.params.get('dose_mg', '')} from {r.rule} set aside for {chosen.action} "
                 f"{chosen.params.get('dose_mg', '')} from {chosen.rule} ({why})".replace("  ", " "),
                 kept=chosen.rule, dropped=r.rule, dropped_action=r.action)
        chosen = _cap_titration(chosen, dosing, facts, ctx, note)
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
    # The rule behind the dosing decision is credited first for what it also recommended, so a
    # held patient's lab monitoring is not attributed to a 'continue' rule that was set aside.
    lead = {chosen.rule, *chosen.also_from}
    for r in sorted(others, key=lambda r: (r.rule not in lead, rule_order.get(r.rule, 10**6), _Key(r))):
        if r.action in merged:
            merged[r.action] = _merge_same_action(merged[r.action], r)
        else:
            merged[r.action] = r
    kind_order = {"co_treatment": 0, "workup": 1}
    # one recommendation per action here, so the action decides every tie (no _key needed)
    rest = sorted(merged.values(), key=lambda r: (kind_order[r.kind], rule_order.get(r.rule, 10**6), r.action))
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


def _level(r: Recommendation, ctx: DoseContext) -> int | None:
    mg = r.params.get("dose_mg")
    if mg is None:
        return None
    return ladder_level(mg, r.params.get("schedule", "daily"), ctx.ladder)


def _on_ladder(r: Recommendation, ctx: DoseContext, rulebook: Rulebook, note) -> Recommendation:
    """Cap at the top of the ladder, snap an off-ladder dose down, use the ladder's schedule."""
    mg = r.params.get("dose_mg")
    if mg is None:
        return r
    if mg > rulebook.max_mg:
        note("dose_cap", f"{r.rule}: {mg} mg/d is above {rulebook.max_mg} mg/d; capped", rule=r.rule)
        return replace(r, params={**r.params, **ctx.dose(len(ctx.ladder) - 1)})
    lvl = _level(r, ctx)
    if lvl is None:
        per_day = mg / 2 if r.params.get("schedule") == "every_other_day" else mg
        lvl = max((i for i, (m, s) in enumerate(ctx.ladder) if (m / 2 if s == "every_other_day" else m) <= per_day), default=0)
        note("dose_ladder", f"{r.rule}: {mg} mg/d is not on the ladder; {ctx.ladder[lvl][0]} mg/d used", rule=r.rule)
    return replace(r, params={**r.params, **ctx.dose(lvl)})


def _within_caps(r: Recommendation, imatinib: Fact | None, ctx: DoseContext, note) -> Recommendation:
    """No escalation or restart above the patient's hard cap (dose_cap_mg: the label's renal cap
    and the dose below one not tolerated); the winning step-up plan stops at it too
    (_cap_titration). Softer ceilings (earlier grade >= 3 episodes) are the rules' to weigh:
    after some the label restarts at that dose."""
    if imatinib is None or r.action not in ("escalate_dose", "rechallenge_imatinib"):
        return r
    cap_mg = imatinib.get("dose_cap_mg")
    if cap_mg is None:
        return r
    cap = ladder_level(cap_mg, "daily", ctx.ladder)
    if cap is None:  # pragma: no cover - caps are ladder doses
        return r
    lvl = _level(r, ctx)
    if lvl is None or lvl <= cap:
        return r
    note("dose_cap", f"{r.rule}: {r.params['dose_mg']} mg/d is above this patient's cap of {cap_mg} mg/d "
         "(renal function or earlier intolerance); capped", rule=r.rule)
    return replace(r, params={**r.params, **ctx.dose(cap)})


def _fit_while_taking(r: Recommendation, lvl: int | None, cur: int | None, ctx: DoseContext, note) -> Recommendation:
    """While taking: restart means a dose change; continue means the current dose; directions hold."""
    keep = ctx.dose(cur) if cur is not None else {}
    if lvl is None or cur is None:
        if r.action == "rechallenge_imatinib":
            note("status", f"rechallenge_imatinib from {r.rule} does not apply while imatinib is taken; read as continue_imatinib", rule=r.rule)
            return replace(r, action="continue_imatinib", params=keep)
        return r
    if r.action == "rechallenge_imatinib":
        mapped = "reduce_dose" if lvl < cur else "escalate_dose" if lvl > cur else "continue_imatinib"
        note("status", f"rechallenge_imatinib from {r.rule} does not apply while imatinib is taken; read as {mapped}", rule=r.rule)
        return replace(r, action=mapped, params={k: v for k, v in r.params.items() if k in ("dose_mg", "schedule")})
    if r.action == "continue_imatinib" and lvl != cur:
        note("direction", f"{r.rule}: continue means the current dose; {ctx.ladder[cur][0]} mg kept, not {r.params['dose_mg']} mg", rule=r.rule)
        return replace(r, params=keep)
    if r.action == "escalate_dose" and lvl <= cur:
        note("direction", f"{r.rule}: escalation to {r.params['dose_mg']} mg is not above the current dose; read as continue", rule=r.rule)
        return replace(r, action="continue_imatinib", params=keep)
    if r.action == "reduce_dose" and lvl >= cur:
        if cur == 0:
            note("floor", f"{r.rule}: no dose below the bottom of the ladder; hold instead", rule=r.rule)
            return replace(r, action="interrupt_imatinib", params={"until": "the clinician reviews: already at the lowest dose"})
        note("direction", f"{r.rule}: reduction to {r.params['dose_mg']} mg is not below the current dose; read as continue", rule=r.rule)
        return replace(r, action="continue_imatinib", params=keep)
    return r


def _ceiling(r: Recommendation, ctx: DoseContext) -> int | None:
    """The highest ladder level a restart plan reaches (its dose or its last titration step)."""
    levels = [_level(r, ctx)] + [ladder_level(t["dose_mg"], t.get("schedule", "daily"), ctx.ladder) for t in r.params.get("titration", [])]
    levels = [lvl for lvl in levels if lvl is not None]
    return max(levels) if levels else None


def _cap_titration(chosen: Recommendation, candidates: list[Recommendation], facts: list[Fact], ctx: DoseContext,
                   note) -> Recommendation:
    """A winning step-up plan stops at every ceiling that applies.

    Three ceilings: that of any other restart the plan set aside (after hepatotoxicity the
    label resumes one level lower, and a skin plan winning on a lower start dose must not
    climb past it), the dose at which a reaction already recurred on rechallenge, and the
    patient's hard cap (renal function, a dose not tolerated).
    """
    if chosen.action != "rechallenge_imatinib" or not chosen.params.get("titration"):
        return chosen

    def level(step: dict) -> int:
        return ladder_level(step["dose_mg"], step.get("schedule", "daily"), ctx.ladder) or 0

    limits: list[tuple[Any, str]] = []
    others = [c for r in candidates if r is not chosen and r.action == "rechallenge_imatinib" and (c := _ceiling(r, ctx)) is not None]
    if others:
        cap = min(others)
        limits.append((lambda t: level(t) <= cap, f"stops at {ctx.ladder[cap][0]} mg/d, the ceiling of another restart rule"))
    imatinib = next((f for f in facts if f.type == "imatinib"), None)
    recurred_mg = imatinib.get("recurrence_ceiling_mg") if imatinib else None
    if recurred_mg is not None:
        limits.append((lambda t: t["dose_mg"] < recurred_mg, f"stops below {recurred_mg} mg/d, where a reaction recurred on rechallenge"))
    cap_mg = imatinib.get("dose_cap_mg") if imatinib else None
    hard = ladder_level(cap_mg, "daily", ctx.ladder) if isinstance(cap_mg, int) else None
    if hard is not None:
        limits.append((lambda t: level(t) <= hard, f"stops at {cap_mg} mg/d, this patient's cap"))
    steps = chosen.params["titration"]
    for keep, reason in limits:
        kept = [t for t in steps if keep(t)]
        if len(kept) < len(steps):
            note("titration_cap", f"the step-up plan of {chosen.rule} {reason}", rule=chosen.rule)
            steps = kept
    if steps is chosen.params["titration"]:
        return chosen
    return replace(chosen, params={**chosen.params, "titration": steps})
