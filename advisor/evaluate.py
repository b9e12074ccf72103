"""The pipeline: state -> grades -> facts -> rules (durable-rules) -> safety -> Advice."""

from __future__ import annotations

import os
from functools import lru_cache

from . import engine, safety
from .advice import Advice, Derived, Recommendation, RulebookInfo, TraceEvent
from .dosing import DoseContext, resolve_params
from .facts import build_facts, estimate_crcl
from .grading import grade_labs
from .rulebook import Rulebook, default_rulebook_path, load_rulebook
from .state import PatientState


@lru_cache(maxsize=8)
def _cached_rulebook(path: str, mtime: float) -> Rulebook:
    return load_rulebook(path)


def get_rulebook(path: str | os.PathLike | None = None) -> Rulebook:
    p = str(path or default_rulebook_path())
    try:
        mtime = os.path.getmtime(p)
    except OSError:
        mtime = 0.0
    return _cached_rulebook(p, mtime)


BACKENDS = ("durable", "reference")
def evaluate(state: PatientState, rulebook: Rulebook, backend: str = "durable") -> Advice:
    """The advice for one state; backend 'reference' runs the pure-Python evaluator (advisor.reference)."""
    grading = grade_labs(state)
    facts, fact_warnings = build_facts(state, grading, rulebook.ladder, rulebook.standard_mg)
    trace: list[TraceEvent] = []
    trace.append(TraceEvent("input", {"facts": [{"id": f.id, "type": f.type, **f.data} for f in facts]}))
    for lab in grading.labs:
        if lab.conversion:
            trace.append(TraceEvent("conversion", {"analyte": lab.analyte, "text": lab.conversion}))
        if lab.assumed:
            trace.append(TraceEvent("assumption", {"analyte": lab.analyte, "text": lab.assumed}))
    crcl_note = estimate_crcl(state)[2]
    if crcl_note:
        trace.append(TraceEvent("assumption", {"analyte": "creatinine", "text": crcl_note}))
    for g in grading.grades:
        trace.append(TraceEvent("grade", {"term": g.term, "grade": g.grade, "from": g.basis}))

    if backend == "durable":
        firings = engine.run(rulebook, facts)
    elif backend == "reference":
        from . import reference

        firings = reference.run(rulebook, facts)
    else:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")

    im = state.imatinib
    ctx = DoseContext.of(rulebook, im.dose_mg, im.schedule)
    by_id, rule_order = rulebook.by_id, rulebook.order
    candidates: list[Recommendation] = []
    for f in firings:
        rule = by_id.get(f.rule_id)
        assert rule is not None
        recs = []
        for t in rule.recommends:
            rec = Recommendation(t.action, resolve_params(t.params, ctx, f.matched), rule.id, t.rationale, t.evidence)
            recs.append(rec)
        candidates.extend(recs)
        trace.append(TraceEvent("fired", {
            "seq": f.seq, "rule": f.rule_id, "priority": rule.priority, "description": rule.description,
            "matched": f.matched, "asserted": list(f.asserted),
            "recommended": [{"action": r.action, "params": r.params} for r in recs],
        }))

    result = safety.apply(candidates, facts, rulebook, ctx, im.status, rule_order)
    trace.extend(result.events)
    trace.append(TraceEvent("final", {"recommendations": [
        {"action": r.action, "params": r.params, "rule": r.rule, "also_from": list(r.also_from), "evidence": list(r.evidence)}
        for r in result.recommendations]}))
    derived = tuple(Derived(g.term, g.grade, g.basis) for g in grading.grades)
    warnings = tuple(dict.fromkeys(grading.warnings + tuple(fact_warnings) + result.warnings))
    titles = {e: rulebook.evidence[e].title for r in result.recommendations for e in r.evidence if e in rulebook.evidence}
    return Advice(RulebookInfo(rulebook.id, rulebook.version, rulebook.sha256, rulebook.source), derived,
                  result.recommendations, warnings, tuple(trace), result.no_rule_applied, titles, tuple(facts), tuple(firings))


def evaluate_file(path: str | os.PathLike, rulebook_path: str | os.PathLike | None = None) -> Advice:
    """Read (a state file or a FHIR Bundle: advisor.readers), validate and evaluate one input
    (the library call behind `advisor evaluate`)."""
    from .readers import read_input, with_reading

    rulebook = get_rulebook(rulebook_path)
    reading = read_input(path)
    return with_reading(evaluate(reading.state, rulebook), reading)
