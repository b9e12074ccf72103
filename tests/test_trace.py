"""The trace: data first; the tree, the reports and the JSON carry the same content."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from advisor.cli import app
from advisor.evaluate import evaluate
from advisor.explain import outline_lines, trace_outline
from advisor.render.console import trace_tree
from advisor.safety import FALLBACK_RULE, SAFETY_RULE

from conftest import state_of
from test_explain import EXAMPLE, HEPATITIS, scenario_states


def tree_text(advice) -> str:
    console = Console(record=True, width=400, color_system=None)
    console.print(trace_tree(advice))
    return console.export_text()


def trace_items(trace_json: list[dict]) -> list[str]:
    """What a reviewer diffs: fired rules, matched fact ids, asserted facts, safety resolutions, grades."""
    items = []
    for e in trace_json:
        if e["step"] == "input":
            items += [f["id"] for f in e["facts"]]
        elif e["step"] == "fired":
            items.append(e["rule"])
            items += [f["id"] for f in e["matched"].values()]
            items += [a["id"] for a in e["asserted"]]
            items += [f"{k}={json.dumps(v, ensure_ascii=False)}" for a in e["asserted"] for k, v in a.items() if k not in ("id", "type")]
            items += [r["action"] for r in e["recommended"]]
        elif e["step"] == "safety":
            items += [e["resolution"], e["text"]]
        elif e["step"] == "fallback":
            items.append(e["text"])
        elif e["step"] in ("conversion", "assumption"):
            items.append(e["text"])
        elif e["step"] == "grade":
            items += [e["term"], e["from"]]
        elif e["step"] == "final":
            items += [r["action"] for r in e["recommendations"]] + [r["rule"] for r in e["recommendations"]]
    return items


def all_states(rulebook):
    return [("example", state_of(EXAMPLE.read_text())), ("hepatitis", state_of(HEPATITIS))] + scenario_states(rulebook)


def test_tree_carries_everything_in_the_json_trace(rulebook):
    """Every fired rule, matched fact, asserted fact and safety resolution in the JSON is in the tree."""
    for label, state in all_states(rulebook):
        advice = evaluate(state, rulebook)
        text = tree_text(advice)
        for item in trace_items(advice.to_json()["trace"]):
            assert item in text, (label, item)


def test_tree_lists_rules_in_firing_order(rulebook):
    """Rules appear in the tree in the order they fired, with their sequence number."""
    advice = evaluate(state_of(HEPATITIS), rulebook)
    lines = outline_lines(trace_outline(advice))
    fired = [e.data for e in advice.trace if e.step == "fired"]
    positions = [next(i for i, line in enumerate(lines) if line.strip().startswith(f"#{d['seq'] + 1} {d['rule']} ")) for d in fired]
    assert positions == sorted(positions) and len(fired) > 1


def test_trace_names_the_rules_behind_every_recommendation(rulebook):
    """Each scenario step: every recommendation comes from a rule that fired (or a safety/fallback event), named in the tree."""
    for label, state in all_states(rulebook):
        advice = evaluate(state, rulebook)
        fired = set(advice.fired_rules())
        steps = {e.step for e in advice.trace}
        text = tree_text(advice)
        for r in advice.recommendations:
            if r.rule == SAFETY_RULE:
                assert "safety" in steps, (label, r.action)
            elif r.rule == FALLBACK_RULE:
                assert "fallback" in steps, (label, r.action)
            else:
                assert r.rule in fired, (label, r.action, r.rule)
            assert f"{r.action}" in text and r.rule in text
            for e in r.evidence:
                assert f"cites {e}" in text, (label, e)


def test_json_trace_is_stable_for_diffing(rulebook):
    """Two runs of the same state give identical JSON traces."""
    a = evaluate(state_of(HEPATITIS), rulebook).to_json()["trace"]
    b = evaluate(state_of(HEPATITIS), rulebook).to_json()["trace"]
    assert json.dumps(a) == json.dumps(b)


def test_asserted_facts_are_shown_under_the_rule_that_asserted_them(rulebook):
    """A derived fact is in the tree under its rule and as the match of the rule that used it."""
    advice = evaluate(state_of(HEPATITIS), rulebook)
    lines = outline_lines(trace_outline(advice))
    asserted = [line for line in lines if line.strip().startswith("asserted ")]
    assert asserted, "the hepatitis vignette should assert an episode fact"
    assert any("matched episode = episode derived-" in line for line in lines)


@pytest.mark.parametrize("flag", ["--trace"])
def test_cli_trace(flag):
    """`advisor evaluate --trace` prints the tree after the advice."""
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), flag], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for section in ("input facts", "rules fired (in order)", "safety layer", "final recommendations", "heme-mild-continue"):
        assert section in result.stdout
