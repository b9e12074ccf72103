"""Every bundled scenario replays as documented; every case report is cited."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.evaluate import evaluate
from advisor.scenarios import check_step, deep_merge, load_scenario, run_batch
from conftest import ROOT, advise

SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "examples" / "example-scenario.yaml"]
CASE_IDS = ("case-hepatitis-steroid", "case-rash-neutropenia-lowdose", "case-rash-antihistamine",
            "case-resistance-surgery-rechallenge", "case-bone-edema-adjuvant")


def _steps():
    from advisor.evaluate import get_rulebook

    rb = get_rulebook()
    for f in SCENARIO_FILES:
        sc = load_scenario(f, rb)
        for st in sc.steps:
            yield pytest.param(sc, st, id=f"{sc.case_id}/{st.id}")


@pytest.mark.parametrize(("scenario", "step"), list(_steps()))
def test_scenario_step_matches_expectation(scenario, step, rulebook):
    """Each documented decision point gets the expected advice (deviations included)."""
    advice = evaluate(step.state, rulebook)
    assert check_step(step, advice) == ()


def test_five_case_reports_each_have_a_scenario(rulebook):
    """One scenario file per case report, each naming its evidence id."""
    evidence = {load_scenario(f, rulebook).evidence for f in (ROOT / "scenarios").glob("*.yaml")}
    assert evidence == set(CASE_IDS)


def test_every_case_report_is_cited_by_some_recommendation(rulebook):
    """Across the replayed steps, each case report backs at least one recommendation."""
    cited = set()
    for f in (ROOT / "scenarios").glob("*.yaml"):
        for st in load_scenario(f, rulebook).steps:
            cited |= evaluate(st.state, rulebook).cited()
    assert set(CASE_IDS) <= cited


def test_batch_passes_with_documented_deviation(rulebook):
    """The bundled scenarios pass, and the team's departure from the rule is reported as such."""
    result = run_batch([ROOT / "scenarios"], rulebook)
    assert result.summary["failed"] == 0 and result.summary["errors"] == 0
    assert result.summary["deviations"] >= 1
    assert result.exit_code == 0


def test_null_in_a_step_removes_a_stale_value():
    """A step can say a value is no longer known; lists and scalars replace."""
    base = {"labs": {"alt": {"value": 50}, "anc": {"value": 1}}, "findings": ["a"]}
    merged = deep_merge(base, {"labs": {"alt": None}, "findings": ["b"]})
    assert merged == {"labs": {"anc": {"value": 1}}, "findings": ["b"]}


def test_uncovered_state_gets_an_explicit_clinician_decides_answer():
    """No rule covering the state -> a clinician_review recommendation and a warning, never silence."""
    advice = advise({"imatinib": {"status": "taking", "dose_mg": 400}})
    assert advice.no_rule_applied
    assert "clinician_review" in advice.actions()
    assert advice.dosing.action == "continue_imatinib"
    assert any("clinician must decide" in w for w in advice.warnings)


def test_failing_expectation_is_reported_with_what_differed(tmp_path: Path, rulebook):
    """A step whose expectation the advice does not meet fails, naming the difference."""
    f = tmp_path / "s.yaml"
    f.write_text(
        "case: {id: t}\nsteps:\n  - id: s1\n    state:\n      imatinib: {status: taking, dose_mg: 400}\n"
        "      labs: {anc: {value: 0.4, unit: 10^9/L}}\n    expect:\n      actions: [continue_imatinib]\n      dose_mg: 300\n"
    )
    result = run_batch([f], rulebook)
    (row,) = result.results
    assert row.result == "fail"
    assert "expected continue_imatinib, not recommended" in row.problems
    assert any("expected 300 mg" in p for p in row.problems)
    assert result.exit_code == 1


def test_batch_results_name_the_scenario_file(rulebook):
    """Each result, in JSON and JUnit, names the file its step came from."""
    from advisor.render.batch import junit_xml

    f = ROOT / "scenarios" / "bone-edema-adjuvant.yaml"
    result = run_batch([f], rulebook)
    assert {r["file"] for r in result.to_json()["results"]} == {str(f)}
    assert f'file="{f}"' in junit_xml(result)
