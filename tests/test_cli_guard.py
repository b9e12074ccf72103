"""The CLI never ends in a traceback: output failures and bugs get one clear line."""

from __future__ import annotations

import pytest
import typer

from advisor.cli import STATE, guarded
from advisor.evaluate import evaluate
from advisor.rulebook import parse_rulebook
from conftest import ROOT, state_of


def _exit(fn, capsys):
    with pytest.raises(typer.Exit) as info:
        guarded(fn)
    return info.value.exit_code, capsys.readouterr().err


def test_output_write_failure_is_a_clear_error(capsys):
    """A full disk or closed device while writing output: exit 2, the reason, no traceback."""
    def body():
        raise OSError(28, "No space left on device")
    code, err = _exit(body, capsys)
    assert code == 2
    assert err.strip() == "error: cannot write the output: No space left on device"


def test_unexpected_exception_is_reported_as_a_bug(capsys, monkeypatch):
    """A bug still prints one line naming it and exits 3; --debug would show the traceback."""
    monkeypatch.setitem(STATE, "debug", False)
    def body():
        raise KeyError("oops")
    code, err = _exit(body, capsys)
    assert code == 3
    assert "internal error (a bug in the advisor, not in your input): KeyError" in err
    assert "Traceback" not in err


def test_reference_does_not_let_one_fact_fill_two_patterns():
    """As in durable-rules, a rule with two patterns of one type needs two distinct facts."""
    text = (ROOT / "rulebooks" / "imatinib-gist.yaml").read_text()
    text = text.replace("rules:\n", """rules:
  - id: two-events
    area: general
    description: Two distinct adverse events at once
    priority: 999
    when:
      - ae as a: {grade: {gte: 1}}
      - ae as b: {grade: {gte: 1}}
    recommend:
      - action: monitor_labs
        params: {tests: [CBC], interval_days: 7}
        rationale: Two events.
        evidence: [ctcae-v5]
""", 1)
    rb = parse_rulebook(text, "two-events.yaml")
    one = state_of({"imatinib": {"status": "taking", "dose_mg": 400}, "adverse_events": [{"term": "fatigue", "grade": 1}]})
    two = state_of({"imatinib": {"status": "taking", "dose_mg": 400},
                    "adverse_events": [{"term": "fatigue", "grade": 1}, {"term": "nausea", "grade": 1}]})
    for state, expected in ((one, 0), (two, 2)):
        fired = {b: [f for f in evaluate(state, rb, backend=k).fired_rules() if f == "two-events"] for b, k in (("d", "durable"), ("r", "reference"))}
        assert len(fired["d"]) == len(fired["r"]) == expected, fired
