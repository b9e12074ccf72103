"""Advice -> CDS Hooks 2.0 cards: the output reporter beside the terminal, JSON and report ones.

One card per evaluation: the summary names the dosing decision (under 140 characters), the
indicator follows its severity, the detail (markdown) carries rationale, derived grades and
stated assumptions, the source cites the evidence, a suggestion updates the imatinib order
where the regimen changes, and a link opens the full report.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from .. import DISCLAIMER
from ..advice import Advice, Recommendation
from ..readers import Reading
from ..textsafe import one_line

SUMMARY_MAX = 139
CRITICAL = ("interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib", "switch_therapy")
WARNING = ("reduce_dose", "rechallenge_imatinib")
_NS = uuid.UUID("6f1b7e1c-5b7a-4a55-9d3e-1b6a1a0c2e11")  # card ids: stable for the same hook call and advice
_SCHEDULE_TEXT = {"twice_daily": " (twice daily)", "every_other_day": " every other day"}


def indicator(action: str) -> str:
    if action in CRITICAL:
        return "critical"
    return "warning" if action in WARNING else "info"


def _dose_text(params: dict[str, Any]) -> str:
    dose = params.get("dose_mg")
    if dose is None:
        return ""
    return f"{dose} mg/d{_SCHEDULE_TEXT.get(params.get('schedule', ''), '')}"


def decision_phrase(rec: Recommendation) -> str:
    p = rec.params
    dose = _dose_text(p)
    phrases = {
        "continue_imatinib": f"continue {dose}".strip(),
        "reduce_dose": f"reduce to {dose}",
        "escalate_dose": f"escalate to {dose}",
        "rechallenge_imatinib": f"restart at {dose}",
        "interrupt_imatinib": "interrupt" + (f" until {p['until']}" if p.get("until") else ""),
        "discontinue_imatinib": "discontinue permanently",
        "switch_to_sunitinib": "stop and switch to sunitinib",
        "switch_therapy": f"stop and switch to {p.get('drug', 'another drug')}",
    }
    return phrases.get(rec.action, rec.action.replace("_", " "))


def summary(advice: Advice) -> str:
    text = f"Imatinib: {decision_phrase(advice.dosing)}"
    # the worst active event the rules saw, stated or derived from a lab value
    events = [f.data for f in advice.facts if f.type == "ae" and f.data.get("active")]
    worst = max(events, key=lambda e: e["grade"], default=None)
    if worst is not None and worst["grade"] >= 2 and len(text) < 90:
        text += f" ({worst['term'].replace('_', ' ')} grade {worst['grade']})"
    text = one_line(text)  # plain text in the EHR: no control characters
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


_MD_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+!<>|~])")


def _md(text: Any) -> str:
    """Text from the record or the rulebook as literal markdown: an EHR renders card detail, so a
    Condition's text must not become a link, an image or HTML; control characters made visible."""
    return _MD_ACTIVE.sub(r"\\\1", one_line(text))


def detail(advice: Advice, reading: Reading) -> str:
    dosing = advice.dosing
    lines = [f"**{_md(decision_phrase(dosing))}** — {_md(dosing.rationale)}", ""]
    others = [r for r in advice.recommendations if r is not dosing]
    if others:
        lines.append("**Also recommended**")
        lines += [f"- {_md(r.action.replace('_', ' '))}" + (f" ({_md(_params(r))})" if r.params else "") + f": {_md(r.rationale)}"
                  for r in others]
        lines.append("")
    if advice.derived:
        lines += ["**Derived CTCAE v5 grades**", "", "| term | grade | from |", "|---|---|---|"]
        lines += [f"| {_md(d.term)} | {d.grade} | {_md(d.basis)} |" for d in advice.derived]
        lines.append("")
    if advice.warnings:
        lines.append("**Assumptions and warnings**")
        lines += [f"- {_md(w)}" for w in advice.warnings]
        lines.append("")
    cited = list(dict.fromkeys(e for r in advice.recommendations for e in r.evidence))
    if cited:
        lines.append("**Evidence**: " + "; ".join(_md(advice.evidence_titles.get(e, e)) for e in cited))
        lines.append("")
    if reading.provenance:
        sources = sorted({ref.split(" ")[0] for ref in reading.provenance.values()})
        lines.append(f"Read from {len(sources)} FHIR resources: {_md(', '.join(sources))}.")
        lines.append("")
    lines.append(f"_{DISCLAIMER}_")
    return "\n".join(lines)


def _value(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_value(x)}" for k, x in v.items())
    return str(v)


def _params(r: Recommendation) -> str:
    return "; ".join(f"{k.replace('_', ' ')}: {_value(v)}" for k, v in r.params.items())


def _source(advice: Advice, evidence: dict[str, Any]) -> dict[str, Any]:
    for e in advice.dosing.evidence:
        ev = evidence.get(e)
        if ev is not None:
            out = {"label": f"{ev.title} (imatinib-advisor rulebook {advice.rulebook.id} {advice.rulebook.version})"}
            if ev.url:
                out["url"] = ev.url
            return out
    return {"label": f"imatinib-advisor rulebook {advice.rulebook.id} {advice.rulebook.version}"}


def _regimen(dose_mg: int, schedule: str) -> dict[str, Any]:
    per_intake, frequency, period = {"twice_daily": (dose_mg / 2, 2, 1), "every_other_day": (dose_mg, 1, 2)}.get(schedule, (dose_mg, 1, 1))
    return {"text": f"imatinib {dose_mg} mg per day{_SCHEDULE_TEXT.get(schedule, '')}",
            "timing": {"repeat": {"frequency": frequency, "period": period, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": per_intake, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}]}


def suggestion(advice: Advice, reading: Reading, order: dict[str, Any] | None, card_id: str) -> dict[str, Any] | None:
    """A MedicationRequest update where the advice changes the regimen: a new dose, a hold, a stop."""
    rec = advice.dosing
    im = reading.state.imatinib
    new_dose = rec.params.get("dose_mg")
    changes_dose = rec.action in ("reduce_dose", "escalate_dose", "rechallenge_imatinib") and new_dose is not None and (
        new_dose != im.dose_mg or rec.params.get("schedule", "daily") != im.schedule)
    status = {"interrupt_imatinib": "on-hold", "discontinue_imatinib": "stopped", "switch_to_sunitinib": "stopped",
              "switch_therapy": "stopped"}.get(rec.action)
    if not changes_dose and (status is None or im.status not in ("taking",)):
        return None
    if order is not None:
        resource = copy.deepcopy(order)
        kind = "update"
    else:  # the patient's imatinib is known only from a statement: propose a new order
        resource = {"resourceType": "MedicationRequest", "status": "draft", "intent": "proposal",
                    "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                              "code": "282388", "display": "imatinib"}]}}
        if reading.patient_id:
            resource["subject"] = {"reference": f"Patient/{reading.patient_id}"}
        kind = "create"
    if changes_dose:
        resource["dosageInstruction"] = [_regimen(int(new_dose), rec.params.get("schedule", "daily"))]
        label = f"Change imatinib to {_dose_text(rec.params)}"
        if kind == "update":
            resource["status"] = "active"
    else:
        if kind == "create":
            return None  # nothing to hold or stop through an order the EHR does not have
        resource["status"] = status
        label = "Put the imatinib order on hold" if status == "on-hold" else "Stop the imatinib order"
    return {"label": label, "uuid": str(uuid.uuid5(_NS, card_id + label)), "isRecommended": True,
            "actions": [{"type": kind, "description": label, "resource": resource}]}


def cards(advice: Advice, reading: Reading, *, evidence: dict[str, Any], hook_instance: str,
          order: dict[str, Any] | None = None, report_url: str | None = None) -> list[dict[str, Any]]:
    card_id = str(uuid.uuid5(_NS, f"{hook_instance}|{advice.dosing.action}|{advice.dosing.rule}"))
    card: dict[str, Any] = {
        "uuid": card_id,
        "summary": summary(advice),
        "indicator": indicator(advice.dosing.action),
        "detail": detail(advice, reading),
        "source": _source(advice, evidence),
    }
    sug = suggestion(advice, reading, order, card_id)
    if sug is not None:
        card["suggestions"] = [sug]
        card["selectionBehavior"] = "at-most-one"
    if report_url:
        card["links"] = [{"label": "Full imatinib advisor report", "url": report_url, "type": "absolute"}]
    return [card]


def unreadable_card(message: str, hook_instance: str) -> dict[str, Any]:
    """The record could not be read without guessing: say so instead of advising."""
    text = "Imatinib advisor: the record could not be read; no advice given"
    return {"uuid": str(uuid.uuid5(_NS, f"{hook_instance}|unreadable")), "summary": text, "indicator": "warning",
            "detail": f"{_md(message)}\n\nFix the record (or enter the state by hand with `advisor ask`); "
                      f"nothing was guessed.\n\n_{DISCLAIMER}_",
            "source": {"label": "imatinib-advisor"}}
