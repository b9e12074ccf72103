"""`advisor rules coverage`: which rule decides the dosing for each adverse event x grade x status.

Each cell is a generated patient state evaluated through the engine and the safety layer
(not a reading of the YAML), so the matrix shows what the advisor really does:
imatinib {status, 400 mg daily}, one adverse event {term, grade, trend: new} and, for a
lab-based term, the lab value that CTCAE v5 grades at exactly that grade (none when no value
does, e.g. grade 5 or clinical grades of anemia and eosinophilia: the stated grade is used).
Febrile neutropenia gets no lab values: ANC < 1.0 would add a second, neutropenia event.
A cell is a gap when no rule decides the dosing (the fallback, or only the safety layer's hold);
an overlap when rules recommending different dosing fired and the safety layer chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import vocab
from .rulebook import Rulebook
from .safety import FALLBACK_RULE, SAFETY_RULE

STATUSES = ("taking", "interrupted", "discontinued")
GRADES = (1, 2, 3, 4, 5)
DOSE_MG = 400

# analyte, {grade: lab entry}: values chosen inside each CTCAE v5 band with default limits.
LAB_FOR_GRADE: dict[str, tuple[str, dict[int, dict[str, Any]]]] = {
    "alt_increased": ("alt", {1: {"value": 80, "uln": 40}, 2: {"value": 160, "uln": 40}, 3: {"value": 400, "uln": 40}, 4: {"value": 1000, "uln": 40}}),
    "ast_increased": ("ast", {1: {"value": 80, "uln": 40}, 2: {"value": 160, "uln": 40}, 3: {"value": 400, "uln": 40}, 4: {"value": 1000, "uln": 40}}),
    "blood_bilirubin_increased": ("bilirubin_total", {1: {"value": 1.5, "uln": 1.2}, 2: {"value": 2.4, "uln": 1.2}, 3: {"value": 6.0, "uln": 1.2}, 4: {"value": 15.0, "uln": 1.2}}),
    "alkaline_phosphatase_increased": ("alp", {1: {"value": 240, "uln": 120}, 2: {"value": 480, "uln": 120}, 3: {"value": 1200, "uln": 120}, 4: {"value": 3000, "uln": 120}}),
    "creatinine_increased": ("creatinine", {1: {"value": 1.5, "uln": 1.2}, 2: {"value": 2.4, "uln": 1.2}, 3: {"value": 4.8, "uln": 1.2}, 4: {"value": 8.4, "uln": 1.2}}),
    "neutrophil_count_decreased": ("anc", {1: {"value": 1.7, "lln": 2.0}, 2: {"value": 1.2, "lln": 1.5}, 3: {"value": 0.7, "lln": 1.5}, 4: {"value": 0.3, "lln": 1.5}}),
    "platelet_count_decreased": ("platelets", {1: {"value": 100, "lln": 150}, 2: {"value": 60, "lln": 150}, 3: {"value": 30, "lln": 150}, 4: {"value": 10, "lln": 150}}),
    "white_blood_cell_decreased": ("wbc", {1: {"value": 3.5, "lln": 4.0}, 2: {"value": 2.5, "lln": 4.0}, 3: {"value": 1.5, "lln": 4.0}, 4: {"value": 0.5, "lln": 4.0}}),
    "anemia": ("hemoglobin", {1: {"value": 11.0, "lln": 12.0}, 2: {"value": 9.0, "lln": 12.0}, 3: {"value": 7.0, "lln": 12.0}}),
    "eosinophilia": ("eosinophils", {1: {"value": 1.0, "uln": 0.5}}),
}


@dataclass(frozen=True)
class Cell:
    term: str
    grade: int
    status: str
    applicable: bool  # False when CTCAE v5 does not grade the term at this grade
    rule: str | None = None  # the rule whose dosing decision the advice carries
    action: str | None = None
    dose_mg: int | None = None
    gap: bool = False
    overlap: tuple[str, ...] = ()  # rules that recommended a different dosing decision

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"term": self.term, "grade": self.grade, "status": self.status, "applicable": self.applicable}
        if self.applicable:
            out.update({"rule": self.rule, "action": self.action, "dose_mg": self.dose_mg, "gap": self.gap,
                        "overlap": list(self.overlap)})
        return out


@dataclass(frozen=True)
class CoverageMatrix:
    rulebook: str
    cells: tuple[Cell, ...]

    def cell(self, term: str, grade: int, status: str) -> Cell | None:
        return next((c for c in self.cells if (c.term, c.grade, c.status) == (term, grade, status)), None)

    def gaps(self, status: str | None = None, grades: tuple[int, ...] = GRADES) -> list[Cell]:
        return [c for c in self.cells if c.gap and c.grade in grades and (status is None or c.status == status)]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.term for c in self.cells))

    @property
    def statuses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.status for c in self.cells))

    @property
    def summary(self) -> dict[str, int]:
        live = [c for c in self.cells if c.applicable]
        return {"cells": len(self.cells), "applicable": len(live), "decided": sum(1 for c in live if not c.gap),
                "gaps": sum(1 for c in live if c.gap), "overlaps": sum(1 for c in live if c.overlap),
                "gaps_taking_grade_1_4": len(self.gaps("taking", (1, 2, 3, 4)))}

    @property
    def exit_code(self) -> int:
        """1 when a grade 1-4 cell has no dosing rule while imatinib is taken (for --fail-on-gaps)."""
        return 1 if self.gaps("taking", (1, 2, 3, 4)) else 0

    def to_json(self) -> dict[str, Any]:
        return {"rulebook": self.rulebook, "summary": self.summary, "cells": [c.to_json() for c in self.cells]}


def applicable(term: str, grade: int) -> bool:
    return vocab.MIN_GRADE.get(term, 1) <= grade <= vocab.MAX_GRADE.get(term, 5)


def cell_state(term: str, grade: int, status: str) -> dict[str, Any]:
    """The generated patient state of one cell, as plain data in the state file format."""
    data: dict[str, Any] = {
        "imatinib": {"status": status, "dose_mg": DOSE_MG},
        "adverse_events": [{"term": term, "grade": grade, "trend": "new"}],
    }
    if term in vocab.OTHER_SPECIFY:  # CTCAE's "Other, specify" needs the event's name
        data["adverse_events"][0]["specify"] = "an event the term list does not name"
    lab = LAB_FOR_GRADE.get(term)
    if lab and grade in lab[1]:
        data["labs"] = {lab[0]: dict(lab[1][grade])}
    return data


def evaluate_cell(rulebook: Rulebook, term: str, grade: int, status: str) -> Cell:
    from .evaluate import evaluate
    from .state import PatientState

    if not applicable(term, grade):
        return Cell(term, grade, status, False)
    advice = evaluate(PatientState.model_validate(cell_state(term, grade, status)), rulebook)
    dosing = advice.dosing
    gap = advice.no_rule_applied or dosing.rule in (FALLBACK_RULE, SAFETY_RULE)
    proposals: dict[str, set[str]] = {}
    for e in advice.trace:
        if e.step == "fired":
            for rec in e.data.get("recommended", []):
                if rec["action"] in vocab.DOSING_ACTIONS:
                    proposals.setdefault(e.data["rule"], set()).add(rec["action"])
    actions = {a for acts in proposals.values() for a in acts}
    overlap = tuple(r for r in proposals if r != dosing.rule) if len(actions) > 1 else ()
    return Cell(term, grade, status, True, dosing.rule, dosing.action, dosing.params.get("dose_mg"), gap, overlap)


def coverage_matrix(rulebook: Rulebook, terms: tuple[str, ...] | None = None,
                    statuses: tuple[str, ...] = STATUSES, grades: tuple[int, ...] = GRADES) -> CoverageMatrix:
    """Evaluate one generated state per cell (terms in vocabulary order, then grade, then status)."""
    terms = terms or tuple(vocab.AE_TERMS)
    for t in terms:
        if t not in vocab.AE_TERMS:
            from .errors import InputError

            raise InputError(f"unknown adverse event term '{t}'{vocab.suggest(t, vocab.AE_TERMS)}")
    cells = [evaluate_cell(rulebook, t, g, s) for s in statuses for t in terms for g in grades]
    return CoverageMatrix(rulebook.id, tuple(cells))
