"""Differential test: durable-rules (advisor.engine) and the pure-Python reference evaluator
(advisor.reference) fire the same rules on the same facts and give the same advice."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from advisor import engine, reference
from advisor.errors import AdvisorError
from advisor.evaluate import evaluate, get_rulebook
from advisor.facts import build_facts
from advisor.grading import grade_labs
from advisor.scenarios import load_scenario

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks import cohort, synth  # noqa: E402

GENERATED = 1000  # a fixed seed; a few seconds


def _canon(fact: dict) -> str:
    """Input facts by id; derived facts by content (their ids depend on firing order)."""
    if str(fact.get("id", "")).startswith("derived-"):
        return json.dumps({k: v for k, v in fact.items() if k != "id"}, sort_keys=True)
    return fact["id"]


def firing_keys(firings) -> Counter:
    return Counter((f.rule_id, tuple(sorted((b, _canon(x)) for b, x in f.matched.items())),
                    tuple(sorted(_canon(a) for a in f.asserted))) for f in firings)


def assert_same(state, rulebook) -> None:
    facts, _ = build_facts(state, grade_labs(state), rulebook.ladder, rulebook.standard_mg)
    assert firing_keys(engine.run(rulebook, facts)) == firing_keys(reference.run(rulebook, facts))
    durable = evaluate(state, rulebook).to_json(with_trace=False)
    ref = evaluate(state, rulebook, backend="reference").to_json(with_trace=False)
    assert durable == ref


def _scenario_steps():
    rb = get_rulebook()
    files = sorted((ROOT / "scenarios").glob("*.y*ml")) + [ROOT / "examples" / "example-scenario.yaml"]
    steps = []
    for f in files:
        try:
            scenario = load_scenario(f, rb)
        except AdvisorError:
            continue  # a scenario that does not load is the batch tests' business
        steps.extend((f"{f.name}:{s.id}", s.state) for s in scenario.steps)
    return steps


def test_scenario_steps_agree():
    """Every step of every scenario that loads: same firings, same advice."""
    rb = get_rulebook()
    steps = _scenario_steps()
    assert steps, "no scenario step loaded"
    for name, state in steps:
        try:
            assert_same(state, rb)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_generated_states_agree():
    """A generated cohort covering every AE term, grade, status, lab pattern and response."""
    rb = get_rulebook()
    fired = Counter()
    for i, state in enumerate(cohort.states(GENERATED)):
        try:
            assert_same(state, rb)
        except AssertionError as exc:
            raise AssertionError(f"generated state {i}: {exc}") from None
        fired[bool(evaluate(state, rb, backend="reference").fired_rules())] += 1
    assert fired[True] > GENERATED // 2  # the cohort exercises the rules, not only the fallback


def test_joins_and_derived_chains_agree():
    """A synthetic rulebook with Ref joins, derived facts read by later rules, and 270 rules that never fire."""
    rb = synth.rulebook(300)
    chained = 0
    for state in cohort.states(250, seed=11):
        assert_same(state, rb)
        facts, _ = build_facts(state, grade_labs(state), rb.ladder, rb.standard_mg)
        chained += any(f.rule_id == "base-1" for f in reference.run(rb, facts))
    assert chained > 0


def test_many_facts_agree():
    """Hundreds of facts in one state: every combination fires once on both backends."""
    rb = synth.rulebook(30)
    state = cohort.states(1)[0]
    base, _ = build_facts(state, grade_labs(state), rb.ladder, rb.standard_mg)
    facts = synth.padded_facts(base, 200)
    firings = engine.run(rb, facts)
    assert firing_keys(firings) == firing_keys(reference.run(rb, facts))
    ids = Counter((f.rule_id, tuple(sorted((b, x["id"]) for b, x in f.matched.items()))) for f in firings)
    assert len(firings) > 40 and max(ids.values()) == 1


def test_engine_leaves_no_fact_behind():
    """After each evaluation the durable-rules session is empty (facts retracted, not leaked)."""
    rb = get_rulebook()
    handle = engine.compiled(rb).handle
    dre = engine.compiled(rb).dre
    for state in cohort.states(50, seed=3):
        evaluate(state, rb)
        assert json.loads(dre.get_facts(handle, engine.SID)) == []


def test_unknown_backend():
    """An unknown backend name is a programming error, named in the message."""
    with pytest.raises(ValueError, match="clips"):
        evaluate(cohort.states(1)[0], get_rulebook(), backend="clips")


def test_batch_workers_identical(tmp_path):
    """`advisor batch --workers 2` gives the same results, in the same order, as one worker."""
    from advisor.scenarios import run_batch
    from benchmarks.run import write_scenarios

    write_scenarios(tmp_path, cohort.cohort(120, seed=5), 10)
    rb = get_rulebook()
    one = run_batch([tmp_path], rb)
    assert len(one.results) == 120 and not one.load_errors
    assert run_batch([tmp_path], rb, workers=2).to_json() == one.to_json()
