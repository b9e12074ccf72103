"""advisor explain: per-condition values, thresholds and met / not met, agreeing with the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.errors import InputError
from advisor.evaluate import evaluate
from advisor.explain import explain, explain_file
from advisor.scenarios import load_scenario

from conftest import EXAMPLES, ROOT, state_of

EXAMPLE = EXAMPLES / "neutropenia-grade2.yaml"
HEPATITIS = """
patient: {age: 58, sex: male}
indication: adjuvant
risk: high
day: 90
imatinib: {status: taking, dose_mg: 400, schedule: daily}
labs:
  alt: {value: 320, unit: U/L, uln: 40}
  bilirubin_total: {value: 1.0, unit: mg/dL, uln: 1.2}
  anc: {value: 0.8, unit: 10^9/L}
  platelets: {value: 180, unit: 10^9/L}
adverse_events:
  - {term: alt_increased, grade: 3, trend: new}
"""


def scenario_states(rulebook) -> list[tuple[str, object]]:
    """Every step of every scenario file (the five cases when present) and the spec example."""
    files = sorted((ROOT / "scenarios").glob("*.y*ml")) + [EXAMPLES / "example-scenario.yaml"]
    out = []
    for f in files:
        for step in load_scenario(f, rulebook).steps:
            out.append((f"{f.stem}:{step.id}", step.state))
    return out


def test_fired_rule_has_every_condition_met(rulebook):
    """A rule that fired: every condition met on the facts the engine matched."""
    ex = explain(state_of(EXAMPLE.read_text()), rulebook, "heme-mild-continue")
    assert ex.fired and ex.met and ex.agrees_with_engine
    for p in ex.patterns:
        assert p.met
        assert p.chosen is not None and all(t.met for t in p.chosen.tests)


def test_rule_not_fired_shows_value_threshold_and_not_met(rulebook):
    """heme-withhold on grade 2 neutropenia: grade 2 looked at, threshold 3, not met."""
    ex = explain(state_of(EXAMPLE.read_text()), rulebook, "heme-withhold")
    assert not ex.fired and not ex.met and ex.agrees_with_engine
    ae = ex.patterns[0]
    assert ae.fact_type == "ae" and not ae.met
    neut = next(c for c in ae.candidates if any(t.value == "neutrophil_count_decreased" for t in c.tests))
    grade = next(t for t in neut.tests if t.field == "grade")
    assert (grade.value, grade.threshold, grade.met) == (2, 3, False)
    assert next(t for t in neut.tests if t.field == "term").met
    assert ex.patterns[1].met  # status == taking is met on its own


def test_missing_derived_fact_is_named(rulebook):
    """hep-withhold needs an episode fact that no rule asserted."""
    ex = explain(state_of(EXAMPLE.read_text()), rulebook, "hep-withhold")
    episode = next(p for p in ex.patterns if p.fact_type in rulebook.derived_types)
    assert not episode.met and episode.candidates == () and "asserted" in episode.note


def test_derived_facts_from_the_trace_are_candidates(rulebook):
    """A rule matching a fact asserted by another rule is explained on that asserted fact."""
    ex = explain(state_of(HEPATITIS), rulebook, "hep-withhold")
    assert ex.fired and ex.met
    episode = ex.patterns[0]
    assert episode.chosen is not None and episode.chosen.fact_id.startswith("derived-")


@pytest.mark.parametrize("name", ["example", "hepatitis"])
def test_python_check_agrees_with_engine_for_every_rule(rulebook, name):
    """For each rule, Python's per-condition check and durable-rules agree on fired / not fired."""
    state = state_of(EXAMPLE.read_text() if name == "example" else HEPATITIS)
    advice = evaluate(state, rulebook)
    for rule in rulebook.rules:
        ex = explain(state, rulebook, rule.id, advice)
        assert ex.agrees_with_engine, (rule.id, ex.fired, ex.met)


def test_scenario_steps_agree_with_engine_and_explain_a_rule_that_did_not_fire(rulebook):
    """Every scenario step: every rule agrees; rules that did not fire show per-condition values."""
    for label, state in scenario_states(rulebook):
        advice = evaluate(state, rulebook)
        fired = set(advice.fired_rules())
        for rule in rulebook.rules:
            ex = explain(state, rulebook, rule.id, advice)
            assert ex.agrees_with_engine, (label, rule.id)
            if rule.id not in fired:
                assert not all(p.met for p in ex.patterns), (label, rule.id)
                checked = [t for p in ex.patterns for c in p.candidates for t in c.tests]
                assert all(t.threshold is not None for t in checked) or not checked


def test_unknown_rule_suggests_nearest(rulebook):
    """A misspelt rule id is an error naming the closest ids."""
    with pytest.raises(InputError, match="did you mean 'heme-withhold'"):
        explain_file(EXAMPLE, "heme-withold")


def test_cli_json_equals_library():
    """`advisor explain --json` prints what the library returns."""
    result = CliRunner().invoke(app, ["explain", str(EXAMPLE), "heme-withhold", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == explain_file(EXAMPLE, "heme-withhold").to_json()


def test_cli_renders_conditions():
    """The terminal view lists each condition with value, threshold and met / not met."""
    result = CliRunner().invoke(app, ["explain", str(EXAMPLE), "heme-withhold"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "did not fire" in out and "not met" in out and "grade >=" in out


def test_cli_unknown_rule_exits_2(tmp_path: Path):
    """Unknown rule ids exit 2 with a suggestion, no traceback."""
    result = CliRunner().invoke(app, ["explain", str(EXAMPLE), "hep-withold"])
    assert result.exit_code == 2
    assert "did you mean" in result.output and "Traceback" not in result.output
