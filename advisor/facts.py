"""From a graded patient state to the flat facts the rules match.

Each input category becomes facts of a declared type. Singleton facts (patient, imatinib,
labs, findings, comeds, response) are always asserted, so a rule can test that a field is
absent there; the engine has no reliable cross-fact negation (see engine.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import vocab
from .grading import LAB_TERMS, Grading
from .state import PatientState
from .units import ANALYTES, to_canonical

NUMBER, BOOL, TEXT = "number", "bool", "text"
# Creatinine clearance bands of the US label (section 2): >= 60, 40-59, 20-39, < 20 mL/min
RENAL_BANDS = ("none", "mild", "moderate", "severe")
# The highest daily dose the US label allows in mild and moderate renal impairment; in severe
# impairment the label gives no dose (caution; 100 mg/d tolerated in two patients), so
# escalation there stays at the moderate cap and a rule hands the dose to the clinician.
RENAL_CAP_MG = {"mild": 600, "moderate": 400, "severe": 400}


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # number | bool | text | enum | list
    values: tuple[str, ...] = ()  # allowed values for enum and list

    def describe(self) -> str:
        if self.kind in ("enum", "list"):
            return f"{self.kind} of {', '.join(self.values)}"
        return self.kind


def enum(values) -> FieldSpec:
    return FieldSpec("enum", tuple(values))


_TRENDS = vocab.TRENDS + ("unknown",)
_AREAS = tuple(sorted(set(vocab.AE_TERMS.values())))

FACT_TYPES: dict[str, dict[str, FieldSpec]] = {
    "patient": {
        "age": FieldSpec(NUMBER), "sex": enum(vocab.SEXES), "weight_kg": FieldSpec(NUMBER),
        "indication": enum(vocab.INDICATIONS), "risk": enum(vocab.RISKS), "mutation": enum(vocab.MUTATIONS),
        "day": FieldSpec(NUMBER), "advanced": FieldSpec(BOOL),
        # special populations (contract additions): renal function by the US label's CrCl bands
        "creatinine_clearance_ml_min": FieldSpec(NUMBER), "crcl_source": enum(("measured", "cockcroft_gault")),
        "renal_impairment": enum(RENAL_BANDS), "hepatic_impairment": enum(vocab.HEPATIC_IMPAIRMENT),
        "pregnant": FieldSpec(BOOL), "breastfeeding": FieldSpec(BOOL), "planning_pregnancy": FieldSpec(BOOL),
    },
    "imatinib": {
        "status": enum(vocab.STATUSES), "dose_mg": FieldSpec(NUMBER), "schedule": enum(vocab.SCHEDULES),
        "days_interrupted": FieldSpec(NUMBER), "level": FieldSpec(NUMBER), "below_standard": FieldSpec(BOOL),
        "at_max": FieldSpec(BOOL),
        # the lowest dose at which an earlier episode was grade >= 3, recurred on rechallenge
        # or led to discontinuation: escalation rules must stay below it
        "toxicity_ceiling_mg": FieldSpec(NUMBER),
        # the lowest dose at which a reaction recurred on rechallenge: step-up plans stop below it
        "recurrence_ceiling_mg": FieldSpec(NUMBER),
        # dose history (contract additions) and the highest dose an escalation may reach:
        # the top of the ladder, the label's renal cap, one level below any dose not tolerated
        # (or ending a grade >= 3 episode), and the highest tolerated dose once escalation was tried
        "highest_tolerated_mg": FieldSpec(NUMBER), "lowest_not_tolerated_mg": FieldSpec(NUMBER),
        "escalation_tried": FieldSpec(BOOL), "renal_cap_mg": FieldSpec(NUMBER), "hepatic_cap_mg": FieldSpec(NUMBER),
        "progressed_on_imatinib": FieldSpec(BOOL),
        "escalation_ceiling_mg": FieldSpec(NUMBER), "room_to_escalate": FieldSpec(BOOL),
        "max_active_grade": FieldSpec(NUMBER),  # the highest grade of any event still running (0: none)
        # the hard cap no dose may pass: the label's renal and severe-hepatic caps and the dose
        # below one not tolerated
        "dose_cap_mg": FieldSpec(NUMBER), "above_dose_cap": FieldSpec(BOOL),
    },
    "ae": {
        "term": enum(vocab.AE_TERMS), "area": enum(_AREAS), "grade": FieldSpec(NUMBER),
        "stated_grade": FieldSpec(NUMBER), "worst_grade": FieldSpec(NUMBER), "trend": enum(_TRENDS),
        "active": FieldSpec(BOOL), "recurrence": FieldSpec(BOOL), "features": FieldSpec("list", tuple(vocab.FEATURES)),
        "source": enum(("stated", "lab", "stated_and_lab", "history")),
        "attribution": enum(vocab.ATTRIBUTIONS),
        "specify": FieldSpec(TEXT),  # the name of an "Other, specify" event, for the trace
    },
    "lab": {
        "analyte": enum(ANALYTES), "value": FieldSpec(NUMBER), "x_uln": FieldSpec(NUMBER), "grade": FieldSpec(NUMBER),
        "uln": FieldSpec(NUMBER), "lln": FieldSpec(NUMBER),
    },
    "labs": {},  # filled below: <analyte>, <analyte>_x_uln, <analyte>_grade, plus summaries
    "findings": {name: FieldSpec(BOOL) for name in vocab.FINDINGS},
    "comeds": {},  # filled below: on_<class>, <class>_dose_mg, <class>_days_on
    "comed": {"drug": FieldSpec(TEXT), "class": enum(vocab.COMED_CLASSES), "dose_mg": FieldSpec(NUMBER), "days_on": FieldSpec(NUMBER)},
    "response": {
        "status": enum(vocab.RESPONSE_STATUSES), "progression": enum(vocab.PROGRESSIONS),
        "criteria": enum(vocab.CRITERIA), "assessed": FieldSpec(BOOL),
    },
    "history": {
        "term": enum(vocab.AE_TERMS), "area": enum(_AREAS), "grade": FieldSpec(NUMBER),
        "dose_mg": FieldSpec(NUMBER), "outcome": enum(vocab.OUTCOMES),
    },
    "surgery": {
        "status": enum(vocab.SURGERY_STATUSES), "days_until": FieldSpec(NUMBER), "days_since": FieldSpec(NUMBER),
        "rupture": FieldSpec(BOOL), "resection": enum(vocab.RESECTIONS),
    },
}
for _a in ANALYTES:
    FACT_TYPES["labs"][_a] = FieldSpec(NUMBER)
    FACT_TYPES["labs"][f"{_a}_x_uln"] = FieldSpec(NUMBER)
    FACT_TYPES["labs"][f"{_a}_grade"] = FieldSpec(NUMBER)
    FACT_TYPES["labs"][f"{_a}_baseline"] = FieldSpec(NUMBER)  # the patient's own value before imatinib
    FACT_TYPES["labs"][f"{_a}_vs_baseline"] = FieldSpec(NUMBER)  # value / baseline
FACT_TYPES["labs"]["transaminase_x_uln"] = FieldSpec(NUMBER)  # the higher of ALT and AST
FACT_TYPES["labs"]["transaminase_grade"] = FieldSpec(NUMBER)
FACT_TYPES["labs"]["liver_tests_given"] = FieldSpec(BOOL)
# the label's liver hold / resume thresholds, read against an abnormal pre-treatment baseline
FACT_TYPES["labs"]["liver_label_hold"] = FieldSpec(BOOL)
FACT_TYPES["labs"]["liver_resume_met"] = FieldSpec(BOOL)
FACT_TYPES["labs"]["bilirubin_direct_fraction"] = FieldSpec(NUMBER)  # direct / total bilirubin
for _c in vocab.COMED_CLASSES:
    FACT_TYPES["comeds"][f"on_{_c}"] = FieldSpec(BOOL)
    FACT_TYPES["comeds"][f"{_c}_dose_mg"] = FieldSpec(NUMBER)
    FACT_TYPES["comeds"][f"{_c}_days_on"] = FieldSpec(NUMBER)
    FACT_TYPES["comeds"][f"stopped_{_c}_days_ago"] = FieldSpec(NUMBER)

# an inducer taken as a herbal remedy is stopped, not dosed around (the label's "avoid");
# one that must be given (an antiepileptic, rifampicin) is what the +50 % rule is for
FACT_TYPES["comeds"]["on_herbal_cyp3a4_inducer"] = FieldSpec(BOOL)
FACT_TYPES["comeds"]["on_needed_cyp3a4_inducer"] = FieldSpec(BOOL)

# earlier lines other than imatinib, one singleton so that rules can test what was not tried:
# <drug>: the outcome of its latest line (a drug listed as a co-medication counts as ongoing)
FACT_TYPES["lines"] = {d: enum(vocab.PRIOR_LINE_OUTCOMES) for d in vocab.PRIOR_LINE_DRUGS}

SINGLETONS = ("patient", "imatinib", "labs", "findings", "comeds", "response", "surgery", "lines")


@dataclass(frozen=True)
class Fact:
    id: str
    type: str
    data: dict[str, Any]  # fields without id/type/sid

    def as_message(self, sid: str) -> dict[str, Any]:
        return {"sid": sid, "id": self.id, "type": self.type, **self.data}

    def get(self, field: str) -> Any:
        return self.data.get(field)


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def ladder_level(dose_mg: int | None, schedule: str, ladder: tuple[tuple[int, str], ...]) -> int | None:
    if dose_mg is None:
        return None
    for i, (mg, sched) in enumerate(ladder):
        if mg == dose_mg and (sched == "every_other_day") == (schedule == "every_other_day"):
            return i
    return None


def current_grade(term: str, stated: int, trend: str, lab: int, basis: str) -> tuple[int, str, str | None]:
    """The grade that decides today, when an event is both stated and measured.

    Neither may hide the other. On a resolved or improving entry the stated grade is the
    episode's peak (the encodings of docs/encoding.md), so today's lab is today's grade and the
    peak still counts toward the episode's worst; a "resolved" entry whose lab is above grade 1,
    the label's recovery threshold, is reopened (ALT 900 U/L is not resolved whatever the entry
    says). On a new, worsening, stable or untrended entry the stated grade is today's, and the
    worse of the two decides, except for terms CTCAE grades by the value alone, where the value
    decides both ways. Every disagreement is said.
    """
    if trend in ("resolved", "improving"):
        if trend == "resolved" and lab >= 2:
            return lab, "unknown", (f"{term}: stated as resolved, but {basis} is CTCAE v5 grade {lab}; "
                                    f"the event is treated as current at grade {lab}")
        if lab > stated or (trend == "improving" and lab < stated):
            return lab, trend, (f"{term}: stated grade {stated} ({trend}), but {basis} is CTCAE v5 grade {lab}; "
                                f"the lab sets today's grade, the stated grade counts toward the episode's worst")
        return lab, trend, None
    if lab == stated:
        return lab, trend, None
    if term == "febrile_neutropenia" and lab < stated:  # the clinician may judge it life-threatening
        return stated, trend, None
    if lab < stated and term in vocab.VALUE_DEFINED_TERMS:
        # CTCAE v5 grades these by the value alone: a higher stated grade is a charting slip
        return lab, trend, (f"{term}: stated grade {stated}, but {basis} is CTCAE v5 grade {lab}; CTCAE grades "
                            f"{term} by the value alone, so the value decides (grade {lab}); the stated grade is not used")
    worse = max(stated, lab)
    return worse, trend, (f"{term}: stated grade {stated}, but {basis} is CTCAE v5 grade {lab}; "
                          f"the worse (grade {worse}) decides, the stated one also counts toward the episode's worst")


def _febrile_neutropenia_doubts(grading: Grading) -> list[str]:
    """Febrile neutropenia stated while the measured values say otherwise: kept, but said."""
    out = []
    anc, temp = grading.lab("anc"), grading.lab("temperature_c")
    if anc is not None and anc.value >= 1.0:
        out.append(f"febrile_neutropenia is stated, but ANC {anc.given} is not below 1.0 x 10^9/L; "
                   "it is kept as stated: check the count")
    if temp is not None and temp.value < 38.0:
        out.append(f"febrile_neutropenia is stated, but the temperature {temp.given} is below 38.0 C; "
                   "it is kept as stated: check the reading")
    return out


def build_facts(state: PatientState, grading: Grading, ladder: tuple[tuple[int, str], ...], standard_mg: int) -> tuple[list[Fact], list[str]]:
    """Facts for the engine, and warnings (such as a stated grade the lab contradicts)."""
    facts: list[Fact] = []
    warnings: list[str] = []
    p = state.patient
    risk = state.risk
    if risk is not None and state.indication not in ("adjuvant", "neoadjuvant"):
        if state.indication is None:
            warnings.append(f"risk '{risk}' is given but the indication is not: recurrence risk only decides adjuvant therapy")
        else:
            warnings.append(f"risk '{risk}' is given for {state.indication} disease; recurrence risk only decides adjuvant therapy, so it is ignored")
            risk = None
    facts.append(Fact("patient", "patient", _clean({
        "age": p.age, "sex": p.sex, "weight_kg": p.weight_kg, "indication": state.indication, "risk": risk,
        "mutation": state.mutation, "day": state.day,
        "advanced": state.indication in ("metastatic", "unresectable") if state.indication else None,
        **special_populations(state, warnings),
    })))
    im = state.imatinib
    level = ladder_level(im.dose_mg, im.schedule, ladder)
    facts.append(Fact("imatinib", "imatinib", _clean({
        "status": im.status, "dose_mg": im.dose_mg, "schedule": im.schedule, "days_interrupted": im.days_interrupted,
        "level": level,
        "below_standard": (im.dose_mg < standard_mg or im.schedule == "every_other_day") if im.dose_mg else None,
        "at_max": level == len(ladder) - 1 if level is not None else None,
        "toxicity_ceiling_mg": min((h.dose_mg for h in state.history if h.dose_mg is not None and (
            (h.grade or 0) >= 3 or h.outcome in ("recurred_on_rechallenge", "led_to_discontinuation"))), default=None),
        "recurrence_ceiling_mg": min((h.dose_mg for h in state.history if h.dose_mg is not None
                                     and h.outcome == "recurred_on_rechallenge"), default=None),
    })))
    facts[-1] = _with_dose_history(facts[-1], state, ladder)

    # Adverse events: stated ones, merged with lab-derived grades for lab-based terms. An
    # episode's worst grade, recurrence and qualifiers may be written on the event or as a
    # history entry of the same term; both encodings must mean the same to the rules.
    past: dict[str, dict[str, Any]] = {}
    for h in state.history:
        p = past.setdefault(h.term, {"grade": 0, "recurrence": False, "features": set(), "dose_mg": None})
        p["grade"] = max(p["grade"], h.grade or 0)
        p["recurrence"] = p["recurrence"] or h.outcome == "recurred_on_rechallenge"
        p["features"] |= set(h.features)
        if h.dose_mg is not None:
            p["dose_mg"] = h.dose_mg if p["dose_mg"] is None else min(p["dose_mg"], h.dose_mg)
    derived = {g.term: g for g in grading.grades}
    described: set[str] = set()
    for i, ae in enumerate(state.adverse_events):
        described.add(ae.term)
        lab = derived.get(ae.term)
        trend = ae.trend or "unknown"
        grade, source = ae.grade, "stated"
        if lab is not None:
            grade, trend, note = current_grade(ae.term, ae.grade, trend, lab.grade, lab.basis)
            source = "stated_and_lab"
            if note:
                warnings.append(note)
        elif trend == "improving" and ae.grade >= 2 and state.imatinib.status == "interrupted":
            # the entry's grade is the episode's worst (docs/encoding.md); without today's grade
            # the event counts as still at it, so the restart waits: say so rather than assume
            warnings.append(f"{ae.term}: grade {ae.grade}, improving, with no current grade: read as still at grade "
                            f"{ae.grade}, so a restart waits for grade <= 1; write trend: resolved, or give today's "
                            "grade with the episode's worst in history")
        if ae.term == "febrile_neutropenia" and lab is None:
            warnings.extend(_febrile_neutropenia_doubts(grading))
        # a grade 5 (fatal) event is recorded, not treated: only grades 1-4 are active
        active = trend != "resolved" and 1 <= grade <= 4
        before = past.get(ae.term, {})
        facts.append(Fact(f"ae-{i}", "ae", {
            "term": ae.term, "area": vocab.AE_TERMS[ae.term], "grade": grade, "stated_grade": ae.grade,
            "worst_grade": max(grade, ae.grade, before.get("grade", 0)), "trend": trend, "active": active,
            "recurrence": ae.recurrence or before.get("recurrence", False),
            "features": sorted(set(ae.features) | before.get("features", set())), "source": source,
            **({"specify": ae.specify} if ae.specify else {}),
        }))
    for j, g in enumerate(grading.grades):
        if g.term in described or g.grade < 1:
            continue
        described.add(g.term)
        before = past.get(g.term, {})
        facts.append(Fact(f"ae-lab-{j}", "ae", {
            "term": g.term, "area": vocab.AE_TERMS[g.term], "grade": g.grade, "worst_grade": max(g.grade, before.get("grade", 0)),
            "trend": "unknown", "active": True, "recurrence": before.get("recurrence", False),
            "features": sorted(before.get("features", set())), "source": "lab",
        }))
    if state.imatinib.status == "interrupted":
        # While imatinib is held, a past episode with no current entry is the held-for episode,
        # now resolved: the restart rules see it as they would see the event marked resolved.
        last = state.imatinib.dose_mg
        for k, (term, p) in enumerate(sorted(past.items())):
            if term in described or p["grade"] < 1:
                continue
            if p["dose_mg"] is not None and last is not None and p["dose_mg"] > last:
                # an episode at a higher dose than the last one taken has already led to its
                # reduction: it is not why imatinib is held now (it still counts as history)
                continue
            facts.append(Fact(f"ae-history-{k}", "ae", {
                "term": term, "area": vocab.AE_TERMS[term], "grade": 0, "stated_grade": p["grade"],
                "worst_grade": p["grade"], "trend": "resolved", "active": False, "recurrence": p["recurrence"],
                "features": sorted(p["features"]), "source": "history",
            }))

    _attach_attribution(facts, state, warnings)
    _attach_max_active_grade(facts)

    # Labs: one fact per analyte, plus a summary with every value on one fact.
    summary: dict[str, Any] = {}
    grade_by_analyte = {g.analyte: g.grade for g in grading.grades if g.term == LAB_TERMS.get(g.analyte)}
    for lab in grading.labs:
        x = round(lab.x_uln, 4) if lab.x_uln is not None else None
        grade = grade_by_analyte.get(lab.analyte)
        facts.append(Fact(f"lab-{lab.analyte}", "lab", _clean({
            "analyte": lab.analyte, "value": lab.value, "x_uln": x, "grade": grade, "uln": lab.uln, "lln": lab.lln,
        })))
        summary[lab.analyte] = lab.value
        if x is not None:
            summary[f"{lab.analyte}_x_uln"] = x
        if grade is not None:
            summary[f"{lab.analyte}_grade"] = grade
        if lab.baseline is not None:
            summary[f"{lab.analyte}_baseline"] = lab.baseline
            if lab.baseline > 0:
                summary[f"{lab.analyte}_vs_baseline"] = round(lab.value / lab.baseline, 4)
    trans = [summary[k] for k in ("alt_x_uln", "ast_x_uln") if k in summary]
    if trans:
        summary["transaminase_x_uln"] = max(trans)
        summary["transaminase_grade"] = max(summary.get(k, 0) for k in ("alt_grade", "ast_grade"))
    summary["liver_tests_given"] = bool(trans)
    summary.update(_liver_thresholds(grading))
    if summary.get("bilirubin_total") and "bilirubin_direct" in summary:
        summary["bilirubin_direct_fraction"] = round(summary["bilirubin_direct"] / summary["bilirubin_total"], 4)
    facts.append(Fact("labs", "labs", summary))

    facts.append(Fact("findings", "findings", {name: True for name in sorted(set(state.findings))}))

    comeds: dict[str, Any] = {}
    lines: dict[str, str] = {}
    for k, cm in enumerate(state.co_medications):
        if cm.stopped_days_ago is not None:
            # no longer taken: only how long ago it stopped matters (induction wears off over about 2 weeks)
            key = f"stopped_{cm.class_}_days_ago"
            comeds[key] = min(cm.stopped_days_ago, comeds.get(key, cm.stopped_days_ago))
            continue
        facts.append(Fact(f"comed-{k}", "comed", _clean({"drug": cm.drug, "class": cm.class_, "dose_mg": cm.dose_mg, "days_on": cm.days_on})))
        comeds[f"on_{cm.class_}"] = True
        if cm.dose_mg is not None:
            comeds[f"{cm.class_}_dose_mg"] = max(cm.dose_mg, comeds.get(f"{cm.class_}_dose_mg", 0))
        if cm.days_on is not None:
            comeds[f"{cm.class_}_days_on"] = max(cm.days_on, comeds.get(f"{cm.class_}_days_on", 0))
        if cm.class_ in ("strong_cyp3a4_inducer", "cyp3a4_inducer"):
            comeds["on_herbal_cyp3a4_inducer" if vocab.is_herbal(cm.drug) else "on_needed_cyp3a4_inducer"] = True
        if cm.drug.strip().lower() in vocab.PRIOR_LINE_DRUGS:  # a later-line TKI taken now is that line, ongoing
            lines[cm.drug.strip().lower()] = "ongoing"
    _alias_comed_keys(comeds)
    facts.append(Fact("comeds", "comeds", comeds))

    for line in state.prior_lines:
        lines[line.drug] = line.outcome
    facts.append(Fact("lines", "lines", lines))

    r = state.response
    facts.append(Fact("response", "response", _clean({
        "status": r.status if r else None, "progression": r.progression if r else None,
        "criteria": r.criteria if r else None, "assessed": bool(r and r.status != "not_assessed"),
    })))
    sx = state.surgery
    facts.append(Fact("surgery", "surgery", _clean({
        "status": sx.status, "days_until": sx.days_until, "days_since": sx.days_since, "rupture": sx.rupture,
        "resection": sx.resection} if sx else {})))
    for k, h in enumerate(state.history):
        facts.append(Fact(f"history-{k}", "history", _clean({
            "term": h.term, "area": vocab.AE_TERMS[h.term], "grade": h.grade, "dose_mg": h.dose_mg, "outcome": h.outcome,
        })))
    return facts, warnings


# ---------------------------------------------------------------- special populations

def estimate_crcl(state: PatientState) -> tuple[float | None, str | None, str | None]:
    """Creatinine clearance (mL/min), its source, and the assumption stated when it was estimated.

    A measured or clinician-estimated value wins. Otherwise Cockcroft-Gault from age, sex,
    weight and serum creatinine, when all four are given: (140 - age) x weight / (72 x Scr),
    x 0.85 for women. Sex 'other' has no Cockcroft-Gault factor: no estimate is made.
    """
    p = state.patient
    if p.creatinine_clearance_ml_min is not None:
        return p.creatinine_clearance_ml_min, "measured", None
    lab = state.labs.get("creatinine")
    if lab is None or p.age is None or p.weight_kg is None or p.sex not in ("male", "female"):
        return None, None, None
    scr = to_canonical("creatinine", lab.value, lab.unit or ANALYTES["creatinine"].canonical)
    if scr <= 0:
        return None, None, None
    crcl = (140 - p.age) * p.weight_kg / (72 * scr) * (0.85 if p.sex == "female" else 1.0)
    crcl = round(max(crcl, 0.0), 1)
    note = (f"creatinine clearance estimated by Cockcroft-Gault as {crcl:g} mL/min from age {p.age}, {p.sex}, "
            f"{p.weight_kg:g} kg and creatinine {scr:.2f} mg/dL (actual body weight; give "
            f"patient.creatinine_clearance_ml_min to use a measured value)")
    return crcl, "cockcroft_gault", note


def renal_band(crcl: float | None) -> str | None:
    if crcl is None:
        return None
    return "none" if crcl >= 60 else "mild" if crcl >= 40 else "moderate" if crcl >= 20 else "severe"


def special_populations(state: PatientState, warnings: list[str]) -> dict[str, Any]:
    """Renal and hepatic function, pregnancy and breastfeeding on the patient fact."""
    p = state.patient
    crcl, source, note = estimate_crcl(state)
    if note:
        warnings.append(f"Assumption: {note}.")
    return _clean({
        "creatinine_clearance_ml_min": crcl, "crcl_source": source, "renal_impairment": renal_band(crcl),
        "hepatic_impairment": p.hepatic_impairment, "pregnant": p.pregnant, "breastfeeding": p.breastfeeding,
        "planning_pregnancy": p.planning_pregnancy,
    })


def _with_dose_history(fact: Fact, state: PatientState, ladder: tuple[tuple[int, str], ...]) -> Fact:
    """Add the dose history and the escalation ceiling to the imatinib fact.

    A dose not tolerated counts as a toxicity ceiling as a grade >= 3 episode at that dose does:
    the rules that keep escalation below earlier toxicity read both the same way.
    """
    im = state.imatinib
    data = dict(fact.data)
    not_tolerated = min(im.not_tolerated_mg, default=None)
    if not_tolerated is not None:
        data["lowest_not_tolerated_mg"] = not_tolerated
        ceiling = data.get("toxicity_ceiling_mg")
        data["toxicity_ceiling_mg"] = not_tolerated if ceiling is None else min(ceiling, not_tolerated)
    if im.highest_tolerated_mg is not None:
        data["highest_tolerated_mg"] = im.highest_tolerated_mg
    if im.escalation_tried is not None:
        data["escalation_tried"] = im.escalation_tried
    if im.progressed_on_imatinib is not None:
        data["progressed_on_imatinib"] = im.progressed_on_imatinib
    band = renal_band(estimate_crcl(state)[0])
    hard = [ladder[-1][0]]
    if band in RENAL_CAP_MG:
        data["renal_cap_mg"] = RENAL_CAP_MG[band]
        hard.append(RENAL_CAP_MG[band])
    if state.patient.hepatic_impairment == "severe":
        # US label: 25 % below the recommended dose (400 -> 300; KIT exon 9 advanced 800 -> 600)
        recommended = 800 if state.mutation == "kit_exon_9" and state.indication in ("metastatic", "unresectable") else 400
        data["hepatic_cap_mg"] = _dose_below(recommended, ladder)
        hard.append(data["hepatic_cap_mg"])
    if not_tolerated is not None:
        hard.append(_dose_below(not_tolerated, ladder))
    data["dose_cap_mg"] = min(hard)
    caps = list(hard)
    if data.get("toxicity_ceiling_mg") is not None:
        caps.append(_dose_below(data["toxicity_ceiling_mg"], ladder))
    if im.escalation_tried:
        # escalation was tried before: no higher than the dose then tolerated (the current one when unknown)
        tolerated = im.highest_tolerated_mg if im.highest_tolerated_mg is not None else im.dose_mg
        if tolerated is not None:
            caps.append(tolerated)
    data["escalation_ceiling_mg"] = min(caps)
    if im.dose_mg is not None:
        data["room_to_escalate"] = data["escalation_ceiling_mg"] > im.dose_mg
        data["above_dose_cap"] = im.dose_mg > data["dose_cap_mg"]
    return Fact(fact.id, fact.type, data)


def _attach_max_active_grade(facts: list[Fact]) -> None:
    """The highest grade of any event still running, on the imatinib fact: a dose is raised for
    exposure (a low trough) only while nothing above grade 1 is active. The engine has no
    reliable cross-fact negation, so "no such event" is a number on a singleton."""
    top = max((f.get("grade") or 0 for f in facts if f.type == "ae" and f.get("active")), default=0)
    i = next(i for i, f in enumerate(facts) if f.type == "imatinib")
    facts[i] = Fact(facts[i].id, facts[i].type, {**facts[i].data, "max_active_grade": top})


def _dose_below(mg: int, ladder: tuple[tuple[int, str], ...]) -> int:
    """The next daily dose below mg on the ladder (the bottom daily dose at least)."""
    daily = [m for m, sched in ladder if sched != "every_other_day"]
    return max((m for m in daily if m < mg), default=min(daily))


def _attach_attribution(facts: list[Fact], state: PatientState, warnings: list[str]) -> None:
    """Every ae fact carries an attribution (unknown unless stated). A bleed with tumour
    bleeding among the findings, and tumour lysis, with no stated cause are read as the
    tumour's, and said so."""
    for i, f in enumerate(facts):
        if f.type != "ae":
            continue
        stated = next((ae for ae in state.adverse_events if ae.term == f.get("term")), None)
        attribution = stated.attribution if stated is not None else "unknown"
        if attribution == "unknown" and f.get("term") in BLEEDING_TERMS and "tumor_bleeding" in state.findings:
            warnings.append(f"{f.get('term')}: read as disease-related (tumour bleeding is among the findings and no attribution is given)")
            attribution = "disease"
        elif attribution == "unknown" and f.get("term") == "tumor_lysis_syndrome":
            warnings.append("tumor_lysis_syndrome: read as disease-related (the tumour's lysis, not a drug reaction) as no attribution is given")
            attribution = "disease"
        facts[i] = Fact(f.id, f.type, {**f.data, "attribution": attribution})


BLEEDING_TERMS = ("gastrointestinal_hemorrhage", "intra_abdominal_hemorrhage")


def _liver_thresholds(grading: Grading) -> dict[str, bool]:
    """The label's liver hold (ALT/AST > 5 x ULN, bilirubin > 3 x ULN) and resume (< 2.5 x,
    < 1.5 x ULN) thresholds. They are written in multiples of the ULN; for a patient whose value
    was already above the ULN before imatinib (liver metastases, cirrhosis, hepatitis B) a value
    that has not risen on treatment (below 1.5 x its baseline, CTCAE's first step) does not
    trigger a hold, and getting back to the baseline counts as resumed."""
    limits = {"alt": (5.0, 2.5), "ast": (5.0, 2.5), "bilirubin_total": (3.0, 1.5)}
    hold, resume, given = False, True, False
    for analyte, (hold_x, resume_x) in limits.items():
        lab = grading.lab(analyte)
        if lab is None or lab.x_uln is None:
            continue
        given = True
        raised_before = lab.baseline is not None and lab.uln is not None and lab.baseline > lab.uln
        risen = not raised_before or lab.value >= 1.5 * lab.baseline
        hold = hold or (lab.x_uln > hold_x and risen)
        resume = resume and (lab.x_uln < resume_x or (raised_before and lab.value <= lab.baseline))
    return {"liver_label_hold": hold, "liver_resume_met": resume} if given else {}


def _alias_comed_keys(comeds: dict[str, Any]) -> None:
    """The older class names and the strong ones mean the same: copy each flag to both names."""
    for old, new in vocab.COMED_ALIASES.items():
        if comeds.get(f"on_{old}") or comeds.get(f"on_{new}"):
            comeds[f"on_{old}"] = comeds[f"on_{new}"] = True
        days = [comeds[k] for k in (f"stopped_{old}_days_ago", f"stopped_{new}_days_ago") if k in comeds]
        if days:
            comeds[f"stopped_{old}_days_ago"] = comeds[f"stopped_{new}_days_ago"] = min(days)
