"""The durable-rules engine: no state leaks between evaluations, and deterministic output."""

from __future__ import annotations

import json

from advisor import engine
from advisor.evaluate import evaluate
from advisor.facts import build_facts
from advisor.grading import grade_labs
from tests.conftest import state_of

HEPATITIS = {"imatinib": {"status": "taking", "dose_mg": 400}, "labs": {"alt": {"value": 240, "uln": 40}},
             "adverse_events": [{"term": "alt_increased", "grade": 3, "trend": "new"}]}
FEBRILE = {"imatinib": {"status": "taking", "dose_mg": 400}, "labs": {"anc": {"value": 0.15}, "temperature_c": {"value": 38.6}}}
HELD_RECOVERED = {"imatinib": {"status": "interrupted", "dose_mg": 400, "days_interrupted": 14},
                  "labs": {"alt": {"value": 60, "uln": 40}, "anc": {"value": 2.0}}}
NOTHING = {"imatinib": {"status": "taking", "dose_mg": 400}}


def as_json(state_data: dict, rulebook) -> str:
    return json.dumps(evaluate(state_of(state_data), rulebook).to_json(with_trace=True), sort_keys=True)


def test_a_then_b_then_a_is_identical(rulebook):
    """Evaluating A, then B, then A again gives A's advice byte for byte, trace included."""
    first = as_json(HEPATITIS, rulebook)
    between = as_json(FEBRILE, rulebook)
    again = as_json(HEPATITIS, rulebook)
    assert first == again
    assert first != between


def test_derived_facts_do_not_leak_into_the_next_patient(rulebook):
    """The hepatotoxicity episode asserted for one patient is gone for the next (held, ALT 1.5 x ULN, no event)."""
    clean = as_json(HELD_RECOVERED, rulebook)
    as_json(HEPATITIS, rulebook)
    assert as_json(HELD_RECOVERED, rulebook) == clean
    advice = evaluate(state_of(HELD_RECOVERED), rulebook)
    matched_types = {fact.get("type") for e in advice.trace if e.step == "fired" for fact in e.data["matched"].values()}
    assert "episode" not in matched_types


def test_300_alternating_evaluations_are_stable(rulebook):
    """Three hundred evaluations alternating four states each match that state's first result."""
    states = [HEPATITIS, FEBRILE, HELD_RECOVERED, NOTHING]
    reference = [as_json(s, rulebook) for s in states]
    mismatches = [i for i in range(300) if as_json(states[i % 4], rulebook) != reference[i % 4]]
    assert mismatches == []


def test_output_is_deterministic(rulebook):
    """The same state evaluated twice serialises to byte-identical JSON (without sorting keys)."""
    a = json.dumps(evaluate(state_of(FEBRILE), rulebook).to_json(), ensure_ascii=False)
    b = json.dumps(evaluate(state_of(FEBRILE), rulebook).to_json(), ensure_ascii=False)
    assert a == b


def test_firings_are_reproducible_and_ordered(rulebook):
    """engine.run returns the same firings in the same order each time, numbered from 0."""
    state = state_of(HEPATITIS)
    facts, _ = build_facts(state, grade_labs(state), rulebook.ladder, rulebook.standard_mg)
    runs = [engine.run(rulebook, facts) for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert [f.seq for f in runs[0]] == list(range(len(runs[0])))
    assert "hep-episode-transaminase" in [f.rule_id for f in runs[0]]


def test_chained_rule_fires_on_a_derived_fact(rulebook):
    """A rule matching a fact asserted by another rule (episode -> withhold) fires in the same run."""
    state = state_of(HEPATITIS)
    facts, _ = build_facts(state, grade_labs(state), rulebook.ladder, rulebook.standard_mg)
    firings = engine.run(rulebook, facts)
    episode = next(f for f in firings if f.rule_id == "hep-episode-transaminase")
    assert [a["type"] for a in episode.asserted] == ["episode"]
    withhold = next(f for f in firings if f.rule_id == "hep-withhold")
    assert withhold.seq > episode.seq

