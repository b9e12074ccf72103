"""Cards from advice: summary, indicator, suggestion (no service process needed)."""

from __future__ import annotations

import pytest

from advisor.cds.cards import SUMMARY_MAX, cards, indicator
from advisor.evaluate import evaluate
from advisor.readers import reading_from_bundle
from fhir_resources import adverse_event, bundle, imatinib_order, lab, patient

TS = "2024-06-02T10:00:00Z"


def card_for(rulebook, *resources):
    reading = reading_from_bundle(bundle(patient(), *resources, timestamp=TS), "<b>")
    advice = evaluate(reading.state, rulebook)
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
