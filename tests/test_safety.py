"""The safety layer (advisor/safety.py): one dosing decision, precedence, ladder, grade >= 3 hold, fallback."""

from __future__ import annotations

import pytest

from advisor import safety, vocab
from advisor.advice import Recommendation
from advisor.dosing import DoseContext
from advisor.facts import build_facts
from advisor.grading import grade_labs
from tests.conftest import state_of

EV = ("label-dosing",)
TAKING_400 = {"imatinib": {"status": "taking", "dose_mg": 400}}
HELD_400 = {"imatinib": {"status": "interrupted", "dose_mg": 400}}


def rec(action: str, rule: str = "r", evidence: tuple[str, ...] = EV, **params) -> Recommendation:
    return Recommendation(action, params, rule, f"{action} because", evidence)


def apply(state_data: dict, candidates: list[Recommendation], rulebook):
    state = state_of(state_data)
    facts, _ = build_facts(state, grade_labs(state), rulebook.ladder, rulebook.standard_mg)
    im = state.imatinib
    ctx = DoseContext.of(rulebook, im.dose_mg, im.schedule)
    order = {c.rule: i for i, c in enumerate(candidates)}
    return safety.apply(candidates, facts, rulebook, ctx, im.status, order)


def dosing(result) -> list[Recommendation]:
    return [r for r in result.recommendations if r.kind == "dosing"]


def safety_texts(result) -> list[str]:
    return [e.data["text"] for e in result.events if e.step == "safety"]


ALL_DOSING = [
    rec("continue_imatinib", "a", dose_mg=400), rec("discontinue_imatinib", "b"), rec("interrupt_imatinib", "c", until="x"),
    rec("reduce_dose", "d", dose_mg=300), rec("escalate_dose", "e", dose_mg=600), rec("rechallenge_imatinib", "f", dose_mg=300),
]


@pytest.mark.parametrize("n", range(len(ALL_DOSING) + 1))
def test_exactly_one_dosing_decision(rulebook, n):
    """Whatever the rules propose (none, one, several), exactly one dosing decision comes out, first."""
    result = apply(TAKING_400, ALL_DOSING[:n] + [rec("monitor_labs", "m", tests=["ALT"], interval_days=7)], rulebook)
    assert len(dosing(result)) == 1
    assert result.recommendations[0].kind == "dosing"


@pytest.mark.parametrize(("candidates", "winner"), [
    (ALL_DOSING, "discontinue_imatinib"),
    ([c for c in ALL_DOSING if c.action != "discontinue_imatinib"], "interrupt_imatinib"),
    ([rec("continue_imatinib", "a", dose_mg=400), rec("reduce_dose", "d", dose_mg=300), rec("escalate_dose", "e", dose_mg=600)], "reduce_dose"),
    ([rec("continue_imatinib", "a", dose_mg=400), rec("escalate_dose", "e", dose_mg=600)], "escalate_dose"),
    ([rec("continue_imatinib", "a", dose_mg=400)], "continue_imatinib"),
    ([rec("switch_to_sunitinib", "s"), rec("discontinue_imatinib", "b")], "switch_to_sunitinib"),
])
def test_precedence(rulebook, candidates, winner):
    """The most cautious decision wins: discontinue > interrupt > reduce > escalate > continue."""
    result = apply(TAKING_400, list(candidates), rulebook)
    assert dosing(result)[0].action == winner


def test_each_set_aside_decision_is_recorded(rulebook):
    """Every dropped dosing candidate leaves a 'safety' trace event naming kept and dropped rule."""
    result = apply(TAKING_400, [c for c in ALL_DOSING if c.action != "rechallenge_imatinib"], rulebook)
    conflicts = [e.data for e in result.events if e.step == "safety" and e.data["resolution"] == "conflict"]
    assert sorted((c["kept"], c["dropped"]) for c in conflicts) == [("b", "a"), ("b", "c"), ("b", "d"), ("b", "e")]


def test_lowest_dose_among_equals(rulebook):
    """Two reductions: the lower dose wins and the other is recorded as set aside."""
    result = apply(TAKING_400, [rec("reduce_dose", "d", dose_mg=300), rec("reduce_dose", "e", dose_mg=200)], rulebook)
    assert (dosing(result)[0].params["dose_mg"], dosing(result)[0].rule) == (200, "e")
    assert safety_texts(result) == ["reduce_dose 300 from d set aside for reduce_dose 200 from e (lower dose wins)"]


def test_reduce_and_rechallenge_rank_equal_lowest_dose_wins(rulebook):
    """While held, a rechallenge at 300 and one at 400 resolve to 300."""
    result = apply(HELD_400, [rec("rechallenge_imatinib", "a", dose_mg=400), rec("rechallenge_imatinib", "b", dose_mg=300)], rulebook)
    assert dosing(result)[0].params["dose_mg"] == 300


def test_identical_decisions_merge_their_evidence(rulebook):
    """The same decision from two rules is kept once, with both rules and the union of evidence."""
    result = apply(TAKING_400, [rec("interrupt_imatinib", "a", ("label-hematologic",), until="x"),
                                rec("interrupt_imatinib", "b", ("ctcae-v5",), until="x")], rulebook)
    d = dosing(result)[0]
    assert (d.rule, d.also_from, d.evidence) == ("a", ("b",), ("label-hematologic", "ctcae-v5"))


def test_dose_above_800_is_capped(rulebook):
    """An escalation to 1000 mg/d becomes 800 mg/d (400 twice daily), recorded."""
    result = apply(TAKING_400, [rec("escalate_dose", "e", dose_mg=1000)], rulebook)
    assert dosing(result)[0].params == {"dose_mg": 800, "schedule": "twice_daily"}
    assert safety_texts(result) == ["e: 1000 mg/d is above 800 mg/d; capped"]


def test_dose_off_the_ladder_goes_to_the_step_below(rulebook):
    """A reduction to 350 mg/d becomes 300 mg/d, the ladder step below, recorded."""
    result = apply(TAKING_400, [rec("reduce_dose", "d", dose_mg=350)], rulebook)
    assert dosing(result)[0].params["dose_mg"] == 300
    assert safety_texts(result) == ["d: 350 mg/d is not on the ladder; 300 mg/d used"]


@pytest.mark.parametrize("candidate", ALL_DOSING + [rec("escalate_dose", "x", dose_mg=2000), rec("reduce_dose", "y", dose_mg=50)])
@pytest.mark.parametrize("state", [TAKING_400, HELD_400, {"imatinib": {"status": "taking", "dose_mg": 800, "schedule": "twice_daily"}}])
def test_doses_always_on_ladder_and_at_most_800(rulebook, state, candidate):
    """Any dose the layer lets out is a ladder step, never above 800 mg/d."""
    d = dosing(apply(state, [candidate], rulebook))[0]
    if "dose_mg" in d.params:
        assert (d.params["dose_mg"], d.params.get("schedule", "daily")) in rulebook.ladder
        assert d.params["dose_mg"] <= 800


def test_escalation_not_above_current_reads_as_continue(rulebook):
    """An 'escalation' to the current dose is recorded and read as continue."""
    result = apply(TAKING_400, [rec("escalate_dose", "e", dose_mg=400)], rulebook)
    assert (dosing(result)[0].action, dosing(result)[0].params["dose_mg"]) == ("continue_imatinib", 400)
    assert [e.data["resolution"] for e in result.events] == ["direction"]


def test_reduction_at_the_floor_holds(rulebook):
    """A reduction at 100 mg every other day (no lower step) becomes a hold for the clinician."""
    result = apply({"imatinib": {"status": "taking", "dose_mg": 100, "schedule": "every_other_day"}},
                   [rec("reduce_dose", "d", dose_mg=100, schedule="daily")], rulebook)
    assert dosing(result)[0].action == "interrupt_imatinib"
    assert [e.data["resolution"] for e in result.events] == ["floor"]


@pytest.mark.parametrize(("state", "candidate", "mapped"), [
    (HELD_400, rec("continue_imatinib", "a", dose_mg=400), "rechallenge_imatinib"),
    (HELD_400, rec("reduce_dose", "a", dose_mg=300), "rechallenge_imatinib"),
    ({"imatinib": {"status": "discontinued", "dose_mg": 400}}, rec("continue_imatinib", "a", dose_mg=400), "interrupt_imatinib"),
    (TAKING_400, rec("rechallenge_imatinib", "a", dose_mg=300), "reduce_dose"),
])
def test_decision_is_fitted_to_the_imatinib_status(rulebook, state, candidate, mapped):
    """A decision that does not fit the status is translated to the one that does, and recorded."""
    result = apply(state, [candidate], rulebook)
    assert dosing(result)[0].action == mapped
    assert [e.data["resolution"] for e in result.events] == ["status"]
    allowed = vocab.DOSING_WHILE_TAKING if state["imatinib"]["status"] == "taking" else vocab.DOSING_WHILE_OFF
    assert dosing(result)[0].action in allowed


SEVERE = {"adverse_events": [{"term": "diarrhea", "grade": 3, "trend": "new"}]}


@pytest.mark.parametrize(("state", "candidate"), [
    (TAKING_400, rec("continue_imatinib", "a", dose_mg=400)),
    (TAKING_400, rec("escalate_dose", "a", dose_mg=600)),
    (TAKING_400, rec("reduce_dose", "a", dose_mg=300)),
    (HELD_400, rec("rechallenge_imatinib", "a", dose_mg=300)),
])
def test_no_continue_escalate_or_restart_during_unresolved_grade_3(rulebook, state, candidate):
    """An unresolved grade >= 3 event turns continue/escalate/reduce/rechallenge into a hold, recorded."""
    result = apply({**state, **SEVERE}, [candidate], rulebook)
    d = dosing(result)[0]
    assert (d.action, d.rule) == ("interrupt_imatinib", safety.SAFETY_RULE)
    assert d.evidence == rulebook.safety_hold.evidence
    assert safety_texts(result) == [f"{candidate.action} from a blocked: unresolved diarrhea grade 3; imatinib held"]


@pytest.mark.parametrize("trend", ["resolved"])
def test_resolved_grade_3_does_not_block_restart(rulebook, trend):
    """A grade 3 event marked resolved no longer blocks a rechallenge."""
    result = apply({**HELD_400, "adverse_events": [{"term": "diarrhea", "grade": 3, "trend": trend}]},
                   [rec("rechallenge_imatinib", "a", dose_mg=300)], rulebook)
    assert dosing(result)[0].action == "rechallenge_imatinib"


def test_grade_3_from_a_lab_value_blocks_continue(rulebook):
    """A lab-derived grade 3 (ANC 0.8) counts as an unresolved severe event."""
    result = apply({**TAKING_400, "labs": {"anc": {"value": 0.8}}}, [rec("continue_imatinib", "a", dose_mg=400)], rulebook)
    assert dosing(result)[0].action == "interrupt_imatinib"


def test_discontinue_is_not_blocked_by_grade_3(rulebook):
    """Stopping for good during a grade 3 event is left as it is."""
    result = apply({**TAKING_400, **SEVERE}, [rec("discontinue_imatinib", "a")], rulebook)
    assert (dosing(result)[0].action, result.events) == ("discontinue_imatinib", ())


@pytest.mark.parametrize(("state", "action", "params"), [
    (TAKING_400, "continue_imatinib", {"dose_mg": 400, "schedule": "daily"}),
    (HELD_400, "interrupt_imatinib", {"until": "the clinician decides"}),
    ({"imatinib": {"status": "not_started"}}, "interrupt_imatinib", {"until": "the clinician decides"}),
])
def test_fallback_when_no_rule_decides(rulebook, state, action, params):
    """No dosing candidate: keep the status quo, add clinician_review, warn and flag no_rule_applied."""
    result = apply(state, [rec("monitor_labs", "m", tests=["ALT"], interval_days=7)], rulebook)
    assert result.no_rule_applied is True
    assert (result.recommendations[0].action, result.recommendations[0].rule) == (action, safety.FALLBACK_RULE)
    assert [(r.action, r.rule) for r in result.recommendations if r.action == "clinician_review"] == [("clinician_review", safety.FALLBACK_RULE)]
    assert result.recommendations[0].params == params
    assert result.warnings == ("No rule in the rulebook decides the dosing for this state: the clinician must decide.",)
    assert [e.step for e in result.events] == ["fallback"]
    assert all(r.evidence for r in result.recommendations)


def test_fallback_during_grade_3_still_holds(rulebook):
    """With no rule and an unresolved grade 3 event, the fallback's continue is replaced by a hold."""
    result = apply({**TAKING_400, **SEVERE}, [], rulebook)
    assert (dosing(result)[0].action, result.no_rule_applied) == ("interrupt_imatinib", True)


def test_a_decision_is_not_a_fallback(rulebook):
    """When a rule decides, no_rule_applied is false and there is no clinician_review."""
    result = apply(TAKING_400, [rec("continue_imatinib", "a", dose_mg=400)], rulebook)
    assert result.no_rule_applied is False
    assert "clinician_review" not in [r.action for r in result.recommendations]


def test_non_dosing_duplicates_merge(rulebook):
    """The same co-treatment from two rules appears once, with both rules' evidence."""
    result = apply(TAKING_400, [rec("continue_imatinib", "a", dose_mg=400), rec("g_csf", "b", ("x",)), rec("g_csf", "c", ("y",))], rulebook)
    gcsf = [r for r in result.recommendations if r.action == "g_csf"]
    assert [(r.rule, r.also_from, r.evidence) for r in gcsf] == [("b", ("c",), ("x", "y"))]


# Defects found by these tests and fixed in safety.py (directions judged on ladder levels).

def test_rechallenge_above_current_while_taking_is_not_a_continue_at_another_dose(rulebook):
    """A 'rechallenge' to 400 while taking 300 must not come out as continue_imatinib at 400."""
    d = dosing(apply({"imatinib": {"status": "taking", "dose_mg": 300}}, [rec("rechallenge_imatinib", "a", dose_mg=400)], rulebook))[0]
    assert not (d.action == "continue_imatinib" and d.params.get("dose_mg") != 300)


def test_continue_keeps_the_current_dose(rulebook):
    """continue_imatinib means 'keep the current dose': a continue at 400 while taking 300 is corrected."""
    d = dosing(apply({"imatinib": {"status": "taking", "dose_mg": 300}}, [rec("continue_imatinib", "a", dose_mg=400)], rulebook))[0]
    assert not (d.action == "continue_imatinib" and d.params.get("dose_mg") != 300)


def test_reduction_at_100_every_other_day_is_not_a_reduction(rulebook):
    """At 100 mg every other day, a 'reduction' to the same dose is not let through as reduce_dose."""
    d = dosing(apply({"imatinib": {"status": "taking", "dose_mg": 100, "schedule": "every_other_day"}},
                     [rec("reduce_dose", "a", dose_mg=100, schedule="every_other_day")], rulebook))[0]
    assert d.action != "reduce_dose"


def test_escalation_from_100_every_other_day_to_100_daily_is_kept(rulebook):
    """100 mg every other day (50 mg/d) to 100 mg daily is a real escalation."""
    d = dosing(apply({"imatinib": {"status": "taking", "dose_mg": 100, "schedule": "every_other_day"}},
                     [rec("escalate_dose", "a", dose_mg=100, schedule="daily")], rulebook))[0]
    assert (d.action, d.params.get("schedule")) == ("escalate_dose", "daily")
