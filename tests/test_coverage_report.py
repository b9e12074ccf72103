"""expect.fired / expect.not_fired, and `advisor batch --coverage`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.errors import InputError
from advisor.scenarios import load_scenario, run_batch

from conftest import EXAMPLES

NEUTROPENIA = """
case: {id: cov-neutropenia, title: coverage test}
patient: {age: 63, sex: female}
steps:
  - id: grade-3
    day: 60
    state:
      indication: metastatic
      imatinib: {status: taking, dose_mg: 400, schedule: daily}
      labs:
        anc: {value: 0.8, unit: 10^9/L}
        platelets: {value: 160, unit: 10^9/L}
    expect:
      actions: [interrupt_imatinib]
      fired: [heme-withhold]
      not_fired: [heme-mild-continue]
  - id: recovered
    day: 74
    state:
      imatinib: {status: interrupted, days_interrupted: 14}
      labs: {anc: {value: 1.7, unit: 10^9/L}}
    expect:
      fired: [heme-counts-recovered-resume]
      not_fired: [heme-withhold]
"""


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    (tmp_path / "neutropenia.yaml").write_text(NEUTROPENIA)
    return tmp_path


def test_fired_and_not_fired_expectations_pass(scenario_dir, rulebook):
    """Steps asserting on the trace pass when the named rules did / did not fire."""
    result = run_batch([scenario_dir], rulebook)
    assert [r.result for r in result.results] == ["pass", "pass"], [r.problems for r in result.results]


def test_fired_expectations_fail_with_the_rule_named(tmp_path, rulebook):
    """A wrong trace expectation fails the step and names the rule."""
    wrong = NEUTROPENIA.replace("fired: [heme-withhold]\n      not_fired: [heme-mild-continue]",
                                "fired: [heme-mild-continue]\n      not_fired: [heme-withhold]")
    (tmp_path / "w.yaml").write_text(wrong)
    step = run_batch([tmp_path], rulebook).results[0]
    assert step.result == "fail"
    assert "rule heme-mild-continue did not fire" in step.problems
    assert "rule heme-withhold fired but should not" in step.problems


def test_unknown_rule_id_in_expect_is_a_load_error(tmp_path, rulebook):
    """expect.fired with an unknown rule id fails when the file loads, with a suggestion."""
    (tmp_path / "bad.yaml").write_text(NEUTROPENIA.replace("fired: [heme-withhold]", "fired: [heme-withold]"))
    with pytest.raises(InputError, match="did you mean 'heme-withhold'"):
        load_scenario(tmp_path / "bad.yaml", rulebook)


def test_coverage_counts_steps_per_rule_and_lists_every_rule(scenario_dir, rulebook):
    """Coverage has every rule of the rulebook, counting steps (not firings) per rule."""
    result = run_batch([scenario_dir], rulebook)
    assert list(result.coverage) == [r.id for r in rulebook.rules]
    assert result.coverage["heme-withhold"] == 1 and result.coverage["heme-counts-recovered-resume"] == 1
    fired_somewhere = {rule for r in result.results for rule in r.fired}
    assert set(result.never_fired) == {r.id for r in rulebook.rules} - fired_somewhere
    cs = result.coverage_summary
    assert cs["rules"] == len(rulebook.rules) and cs["fired"] == len(fired_somewhere)


def test_coverage_counts_a_step_once_when_a_rule_fires_twice(tmp_path, rulebook):
    """A rule firing on two facts in one step counts that step once."""
    text = """
case: {id: cov-hep}
patient: {age: 58, sex: male}
steps:
  - id: alt-ast-grade-3
    state:
      indication: adjuvant
      imatinib: {status: taking, dose_mg: 400, schedule: daily}
      labs:
        alt: {value: 320, unit: U/L, uln: 40}
        ast: {value: 250, unit: U/L, uln: 40}
    expect: {actions: [interrupt_imatinib]}
"""
    (tmp_path / "hep.yaml").write_text(text)
    result = run_batch([tmp_path], rulebook)
    fired = [r for r, n in result.coverage.items() if n]
    assert fired and all(result.coverage[r] == 1 for r in fired)


def test_cli_coverage_table_and_never_fired(scenario_dir, rulebook):
    """`advisor batch --coverage` prints each rule with its count, the figure, and the rules never fired."""
    result = CliRunner().invoke(app, ["batch", str(scenario_dir), "--coverage"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for rule in rulebook.rules:
        assert rule.id in out
    assert "rule coverage:" in out and "never fired by any scenario step:" in out


def test_cli_coverage_json(scenario_dir, rulebook):
    """The JSON has coverage per rule and the coverage summary."""
    result = CliRunner().invoke(app, ["batch", str(scenario_dir), "--coverage", "--json"])
    data = json.loads(result.stdout)
    assert set(data["coverage"]) == {r.id for r in rulebook.rules}
    assert data["coverage_summary"]["never_fired"] == [k for k, n in data["coverage"].items() if n == 0]


def test_spec_example_scenario_still_loads(rulebook):
    """The format addition is backward compatible: the spec example has no fired / not_fired and loads."""
    assert len(load_scenario(EXAMPLES / "example-scenario.yaml", rulebook).steps) == 2
