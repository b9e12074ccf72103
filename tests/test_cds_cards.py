"""Cards from advice: summary, indicator, suggestion (no service process needed)."""

from __future__ import annotations

import pytest

from advisor.cds.cards import SUMMARY_MAX, cards, indicator
from advisor.evaluate import evaluate
from advisor.readers import reading_from_bundle, with_reading
from fhir_resources import adverse_event, bundle, imatinib_order, lab, patient

TS = "2024-06-02T10:00:00Z"


def card_for(rulebook, *resources):
    reading = reading_from_bundle(bundle(patient(), *resources, timestamp=TS), "<b>")
    advice = with_reading(evaluate(reading.state, rulebook), reading)
    order = next((r for r in resources if r["resourceType"] == "MedicationRequest"), None)
    return advice, cards(advice, reading, evidence=rulebook.evidence, hook_instance="h", order=order)[0]


@pytest.mark.parametrize("action, level", [
    ("interrupt_imatinib", "critical"), ("discontinue_imatinib", "critical"), ("switch_to_sunitinib", "critical"),
    ("switch_therapy", "critical"), ("reduce_dose", "warning"), ("rechallenge_imatinib", "warning"),
    ("continue_imatinib", "info"), ("escalate_dose", "info"),
])
def test_indicator_follows_the_dosing_decision(action, level):
    assert indicator(action) == level


def test_a_stated_grade_3_event_is_named_in_the_summary(rulebook):
    advice, card = card_for(rulebook, imatinib_order(400, rid="o1"), adverse_event("Diarrhea", 3))
    assert card["summary"].startswith("Imatinib: interrupt") and "diarrhea grade 3" in card["summary"]
    assert len(card["summary"]) <= SUMMARY_MAX and card["indicator"] == "critical"
    assert card["suggestions"][0]["actions"][0]["resource"]["status"] == "on-hold"


def test_continue_has_no_suggestion_and_an_info_card(rulebook):
    advice, card = card_for(rulebook, imatinib_order(400, rid="o1"), lab("751-8", 2.5, "10*9/L"))
    assert advice.dosing.action == "continue_imatinib"
    assert card["indicator"] == "info" and "suggestions" not in card and card["summary"] == "Imatinib: continue 400 mg/d"


def test_record_text_cannot_inject_markdown_or_terminal_codes_into_a_card(rulebook):
    hostile = "![beacon](http://evil.example/t.png) <img src=x> \x1b]0;owned\x07"
    advice, card = card_for(rulebook, imatinib_order(400, rid="o1"), lab("751-8", 2.5, "10*9/L"),
                            adverse_event(hostile, 2))  # not a CTCAE term: named in a warning
    assert "evil.example" in card["detail"]  # still shown, as text
    detail = card["detail"]
    # markdown-active characters from the record are backslash-escaped: shown, never rendered
    assert r"\!\[beacon\]\(http://evil.example/t.png\) \<img src=x\>" in detail
    assert "\x1b" not in detail and "\\x1b" in detail
