"""CTCAE v5 grading of lab values, as v5 writes each term (docs/ctcae.md has the table).

Grades are derived, never guessed: a missing reference limit uses a documented default
range and the assumption is carried into the output. Where v5 separates two grades by
clinical information the value cannot carry (hypokalemia 1 vs 2: "symptomatic;
intervention indicated"), the lowest grade the value allows is derived and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .state import PatientState
from .units import ANALYTES, TYPICAL_LLN, TYPICAL_ULN, to_canonical

# Typical reference limits used when the state gives none (clinical.md), canonical units.
DEFAULT_ULN = TYPICAL_ULN
DEFAULT_LLN = TYPICAL_LLN


@dataclass(frozen=True)
class Arm:
    """One way v5 grades a rise: grade g when value > steps[g] x reference.

    `inclusive` names the grade whose lower bound v5 writes without '>' ("1.5 - 3.0 x
    baseline"): that bound is met by a value exactly on it.
    """

    ref: str  # "ULN", "baseline", or "" for an absolute value (INR)
    steps: tuple[tuple[int, float], ...]
    inclusive: int | None = None


@dataclass(frozen=True)
class Rise:
    term: str
    uln: Arm
    # How a baseline enters: "abnormal" (v5 "if baseline was abnormal": baseline > ULN, the
    # baseline arm replaces the ULN arm), "any" (creatinine: either arm, the higher grade) or
    # "given" (INR: a baseline is the on-anticoagulation baseline, its arm replaces the value arm).
    baseline: Arm | None = None
    baseline_when: str | None = None


_LIVER_ULN = {  # grade 1..4 lower bounds in multiples of ULN
    "alt": (1.0, 3.0, 5.0, 20.0), "ast": (1.0, 3.0, 5.0, 20.0), "bilirubin_total": (1.0, 1.5, 3.0, 10.0),
    "alp": (1.0, 2.5, 5.0, 20.0), "ggt": (1.0, 2.5, 5.0, 20.0),
}
_LIVER_BASE = {  # the abnormal-baseline arm: ALT/AST "1.5 - 3.0", ALP/GGT "2.0 - 2.5", bilirubin "> 1.0 - 1.5"
    "alt": ((1.5, 3.0, 5.0, 20.0), 1), "ast": ((1.5, 3.0, 5.0, 20.0), 1), "bilirubin_total": ((1.0, 1.5, 3.0, 10.0), None),
    "alp": ((2.0, 2.5, 5.0, 20.0), 1), "ggt": ((2.0, 2.5, 5.0, 20.0), 1),
}
_LIVER_TERMS = {"alt": "alt_increased", "ast": "ast_increased", "bilirubin_total": "blood_bilirubin_increased",
                "alp": "alkaline_phosphatase_increased", "ggt": "ggt_increased"}


def _arm(ref: str, bounds: tuple[float, ...], first: int = 1, inclusive: int | None = None) -> Arm:
    return Arm(ref, tuple((first + i, t) for i, t in enumerate(bounds)), inclusive)


RISES: dict[str, Rise] = {
    **{a: Rise(_LIVER_TERMS[a], _arm("ULN", _LIVER_ULN[a]), _arm("baseline", _LIVER_BASE[a][0], inclusive=_LIVER_BASE[a][1]),
               "abnormal") for a in _LIVER_TERMS},
    # grade 2 "> 1.5 - 3.0 x baseline; > 1.5 - 3.0 x ULN", grade 3 "> 3.0 x baseline; > 3.0 - 6.0 x ULN"
    "creatinine": Rise("creatinine_increased", _arm("ULN", (1.0, 1.5, 3.0, 6.0)), _arm("baseline", (1.5, 3.0), first=2), "any"),
    "ck": Rise("cpk_increased", _arm("ULN", (1.0, 2.5, 5.0, 10.0))),
    # "> 1.2 - 1.5; > 1 - 1.5 x baseline if on anticoagulation", then > 1.5 - 2.5, > 2.5 (no grade 4)
    "inr": Rise("inr_increased", _arm("", (1.2, 1.5, 2.5)), _arm("baseline", (1.0, 1.5, 2.5)), "given"),
}


@dataclass(frozen=True)
class Fall:
    """A decrease: grade 1 below LLN, grade g below cutoffs[unit][g] (strict '<').

    Cut-offs are kept per unit as v5 writes them: a hemoglobin in mmol/L is graded on
    6.2 / 4.9 mmol/L, not converted to g/dL first (6.2 mmol/L is 9.99 g/dL, not 10.0).
    `lowest` maps a value-derived grade to the clinical grade v5 puts above it at the same value.
    """

    term: str
    cutoffs: dict[str, tuple[tuple[int, float], ...]]
    lowest: dict[int, str] | None = None


def _cut(*pairs: tuple[int, float]) -> tuple[tuple[int, float], ...]:
    return pairs


FALLS: dict[str, Fall] = {
    "anc": Fall("neutrophil_count_decreased", {"10^9/L": _cut((2, 1.5), (3, 1.0), (4, 0.5))}),
    "platelets": Fall("platelet_count_decreased", {"10^9/L": _cut((2, 75.0), (3, 50.0), (4, 25.0))}),
    "wbc": Fall("white_blood_cell_decreased", {"10^9/L": _cut((2, 3.0), (3, 2.0), (4, 1.0))}),
    "lymphocytes": Fall("lymphocyte_count_decreased", {"10^9/L": _cut((2, 0.8), (3, 0.5), (4, 0.2))}),
    # grade 4 (life-threatening) is clinical, never from the value
    "hemoglobin": Fall("anemia", {"g/dL": _cut((2, 10.0), (3, 8.0)), "g/L": _cut((2, 100.0), (3, 80.0)),
                                  "mmol/L": _cut((2, 6.2), (3, 4.9))}),
    "albumin": Fall("hypoalbuminemia", {"g/dL": _cut((2, 3.0), (3, 2.0)), "g/L": _cut((2, 30.0), (3, 20.0))}),
    "potassium": Fall("hypokalemia", {"mmol/L": _cut((3, 3.0), (4, 2.5)), "mEq/L": _cut((3, 3.0), (4, 2.5))},
                      {1: "grade 2 if symptomatic with intervention indicated"}),
    "calcium": Fall("hypocalcemia", {"mg/dL": _cut((2, 8.0), (3, 7.0), (4, 6.0)), "mmol/L": _cut((2, 2.0), (3, 1.75), (4, 1.5))},
                    {1: "grade 2 if symptomatic"}),
    "calcium_ionized": Fall("hypocalcemia", {"mmol/L": _cut((2, 1.0), (3, 0.9), (4, 0.8))}, {1: "grade 2 if symptomatic"}),
    "magnesium": Fall("hypomagnesemia", {"mg/dL": _cut((2, 1.2), (3, 0.9), (4, 0.7)), "mmol/L": _cut((2, 0.5), (3, 0.4), (4, 0.3))}),
}
# v5 grades hypophosphatemia on clinical criteria only: a value below LLN is flagged, not graded.
FLAGGED = {"phosphate": "hypophosphatemia"}

RISING_ANALYTES = tuple(a for a, r in RISES.items() if r.uln.ref == "ULN")  # graded on multiples of ULN
FALLING_ANALYTES = tuple(FALLS) + tuple(FLAGGED)  # graded (or flagged) below LLN
LAB_TERMS = {a: r.term for a, r in RISES.items()} | {a: f.term for a, f in FALLS.items()} | {"eosinophils": "eosinophilia"}
FEBRILE_C = 38.3
FEBRILE_SUSTAINED_C = 38.0
# Payne's correction for albumin: + 0.8 mg/dL (0.02 mmol/L per g/L) for each g/dL below 4.0 g/dL.
CA_CORRECTION = {"mg/dL": (0.8, 4.0, 1.0), "mmol/L": (0.02, 40.0, 10.0)}  # unit: (slope, albumin norm, g/dL -> unit factor)


@dataclass(frozen=True)
class LabValue:
    """One lab in canonical units, with its reference limits and how they were obtained."""

    analyte: str
    value: float
    unit: str
    uln: float | None
    lln: float | None
    baseline: float | None
    given: str  # the value as written, e.g. "1200 /uL"
    conversion: str | None  # e.g. "1200 /uL -> 1.2 10^9/L (/ 1000)"
    assumed: str | None  # e.g. "ULN for alt assumed 40 U/L"
    unit_assumed: str | None = None  # e.g. "no unit given for alt; read as U/L"
    given_unit: str | None = None  # the unit the value was read in (canonical when none was written)
    given_value: float | None = None  # the value in that unit, unconverted
    given_lln: float | None = None  # the LLN in that unit (the stated one, or the default converted)

    @property
    def x_uln(self) -> float | None:
        return self.value / self.uln if self.uln else None


@dataclass(frozen=True)
class DerivedGrade:
    term: str
    grade: int
    analyte: str
    basis: str  # human-readable reason, e.g. "alt 393 U/L = 9.8 x ULN"


@dataclass(frozen=True)
class Grading:
    labs: tuple[LabValue, ...]
    grades: tuple[DerivedGrade, ...]
    warnings: tuple[str, ...]

    def grade_of(self, term: str) -> DerivedGrade | None:
        return next((g for g in self.grades if g.term == term), None)

    def lab(self, analyte: str) -> LabValue | None:
        return next((lab for lab in self.labs if lab.analyte == analyte), None)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def canonical_labs(state: PatientState) -> tuple[LabValue, ...]:
    out = []
    for key in sorted(state.labs):
        lab = state.labs[key]
        analyte = ANALYTES[key]
        unit = lab.unit or analyte.canonical
        conv = lambda v: None if v is None else to_canonical(key, v, unit)  # noqa: E731
        value = conv(lab.value)
        conversion = None
        if unit != analyte.canonical:
            conversion = f"{key} {_fmt(lab.value)} {unit} -> {_fmt(value)} {analyte.canonical} ({analyte.conversion_text[unit]})"
        elif lab.unit is None:
            conversion = f"{key}: no unit given, read as {analyte.canonical}"
        uln, lln, assumed = conv(lab.uln), conv(lab.lln), None
        given_lln = lab.lln
        if uln is None and key in DEFAULT_ULN:
            uln = DEFAULT_ULN[key]
            assumed = f"ULN for {key} assumed {_fmt(uln)} {analyte.canonical}"
        if lln is None and key in DEFAULT_LLN:
            lln = DEFAULT_LLN[key]
            assumed = f"LLN for {key} assumed {_fmt(lln)} {analyte.canonical}"
            if unit != analyte.canonical:
                given_lln = round(lln / to_canonical(key, 1.0, unit), 9)
                assumed += f" ({_fmt(given_lln)} {unit})"
            else:
                given_lln = lln
        unit_assumed = f"no unit given for {key}; read as {analyte.canonical}" if lab.unit is None else None
        out.append(LabValue(key, value, analyte.canonical, uln, lln, conv(lab.baseline), f"{_fmt(lab.value)} {unit}", conversion, assumed,
                            unit_assumed, unit, lab.value, given_lln))
    return tuple(out)


def _arm_grade(ratio: float, arm: Arm) -> int:
    # Compare on a rounded ratio: 2.1 / 0.7 is 3.0000000000000004 in binary floating point,
    # which would make a value of exactly 3 x ULN a grade too high.
    r = round(ratio, 9)
    return max((g for g, t in arm.steps if r > t or (g == arm.inclusive and r >= t)), default=0)


def grade_rise(analyte: str, value: float, uln: float | None, baseline: float | None) -> tuple[int, str]:
    """Grade an increase on the arm v5 applies to this patient; returns (grade, "n x reference")."""
    rise = RISES[analyte]
    ref = uln if rise.uln.ref == "ULN" else 1.0
    arms = [(rise.uln, ref)] if ref else []
    if rise.baseline is not None and baseline:
        use_base = {"abnormal": uln is not None and baseline > uln, "any": True, "given": True}[rise.baseline_when or ""]
        if use_base:
            arms = [(rise.baseline, baseline)] + (arms if rise.baseline_when == "any" else [])
    graded = [(_arm_grade(value / r, arm), value / r, arm.ref) for arm, r in arms]
    grade, ratio, name = max(graded, key=lambda g: g[0])
    return grade, (f"{ratio:.2f} x {name}" if name else "")


def grade_fall(analyte: str, value: float, lln: float | None, unit: str | None = None) -> int:
    """Grade a decrease in `unit` (the canonical one when the term has no cut-offs in it)."""
    cutoffs = FALLS[analyte].cutoffs
    steps = cutoffs.get(unit or "", next(iter(cutoffs.values())))
    v = round(value, 9)
    grade = 1 if lln is not None and v < lln else 0
    return max([grade] + [g for g, t in steps if v < t])


def _fall_input(lab: LabValue, cutoffs: dict) -> tuple[float, float | None, str]:
    """The value, LLN and unit to grade in: the unit the lab was given in where v5 writes
    cut-offs for it, else the canonical unit."""
    if lab.given_unit in cutoffs and lab.given_unit != lab.unit and lab.given_value is not None:
        return lab.given_value, lab.given_lln, lab.given_unit
    return lab.value, lab.lln, lab.unit


def _corrected_calcium(lab: LabValue, albumin: LabValue | None) -> tuple[LabValue, str]:
    """Calcium corrected for albumin when albumin is given (v5 grades corrected serum calcium)."""
    value, _, unit = _fall_input(lab, FALLS["calcium"].cutoffs)
    if albumin is None:
        return lab, f"calcium {_fmt(value)} {unit} graded uncorrected: no albumin given (v5 grades calcium corrected for albumin)"
    slope, norm, factor = CA_CORRECTION[unit]
    corrected = round(value + slope * (norm - albumin.value * factor), 9)
    note = (f"calcium {_fmt(value)} {unit} corrected for albumin {_fmt(albumin.value)} g/dL = {_fmt(corrected)} {unit} "
            f"(+ {slope:g} {unit} per {'g/dL' if factor == 1 else 'g/L'} of albumin below {norm:g})")
    if unit == lab.unit:
        return replace(lab, value=corrected, given_value=corrected), note
    return replace(lab, given_value=corrected), note


def _grade_fall_lab(lab: LabValue, fall: Fall, warnings: list[str], prefix: str = "") -> DerivedGrade:
    value, lln, unit = _fall_input(lab, fall.cutoffs)
    grade = grade_fall(lab.analyte, value, lln, unit)
    basis = prefix or f"{lab.analyte} {_fmt(value)} {unit}"
    basis += f" (LLN {_fmt(lln) if lln is not None else '?'})"
    if fall.lowest and grade in fall.lowest:
        warnings.append(f"{fall.term}: grade {grade} from the value ({basis}), the lowest CTCAE v5 allows; "
                        f"{fall.lowest[grade]} (v5 text), which the value cannot show")
    return DerivedGrade(fall.term, grade, lab.analyte, basis)


def _baseline_doubt(analyte: str, lab: LabValue, grade: int) -> list[str]:
    """Grading on an abnormal baseline can hide a large rise; say so when it does.

    v5 grades against baseline when baseline was abnormal, so a baseline written almost
    equal to today's value grades 0 whatever the value: that is either a slip (today's value
    copied as baseline) or liver disease the clinician must weigh. Never silent.
    """
    assert lab.uln
    on_uln, _ = grade_rise(analyte, lab.value, lab.uln, None)
    if on_uln - grade < 2:
        return []
    return [f"{analyte} {_fmt(lab.value)} {lab.unit} is {lab.value / lab.uln:.1f} x ULN (grade {on_uln} on ULN) but grade {grade} "
            f"against the abnormal baseline {_fmt(lab.baseline or 0)}: check the baseline; the label's liver "
            "thresholds are multiples of ULN"]


def grade_labs(state: PatientState) -> Grading:
    labs = canonical_labs(state)
    grades: list[DerivedGrade] = []
    warnings: list[str] = [w for lab in labs for w in (lab.unit_assumed, lab.assumed) if w]
    by = {lab.analyte: lab for lab in labs}
    for lab in labs:
        a = lab.analyte
        if a in RISES and (lab.uln or RISES[a].uln.ref != "ULN"):
            grade, ratio = grade_rise(a, lab.value, lab.uln, lab.baseline)
            if a == "inr" and lab.baseline:
                warnings.append(f"inr: baseline {_fmt(lab.baseline)} given, read as the on-anticoagulation baseline: "
                                "graded on multiples of it (CTCAE v5 INR increased, 'x baseline if on anticoagulation')")
            grades.append(DerivedGrade(RISES[a].term, grade, a, f"{a} {_fmt(lab.value)} {lab.unit}" + (f" = {ratio}" if ratio else "")))
            if lab.baseline is not None and lab.uln and RISES[a].uln.ref == "ULN":
                warnings.extend(_baseline_doubt(a, lab, grade))
        elif a == "calcium":
            corrected, note = _corrected_calcium(lab, by.get("albumin"))
            grades.append(_grade_fall_lab(corrected, FALLS[a], warnings, note if "corrected for" in note else ""))
            if "uncorrected" in note:
                warnings.append(note)
        elif a in FALLS:
            grades.append(_grade_fall_lab(lab, FALLS[a], warnings))
        elif a in FLAGGED and lab.lln is not None and lab.value < lab.lln:
            warnings.append(f"{FLAGGED[a]}: {a} {_fmt(lab.value)} {lab.unit} is below the LLN {_fmt(lab.lln)}; CTCAE v5 grades "
                            "hypophosphatemia on clinical criteria only (1 laboratory finding only, 2 oral replacement "
                            "indicated, 3 hospitalization indicated), so no grade is derived: state it on the event")
        elif a == "eosinophils" and lab.uln:
            above = lab.value > lab.uln and (lab.baseline is None or lab.value > lab.baseline)
            grades.append(DerivedGrade("eosinophilia", 1 if above else 0, a, f"eosinophils {_fmt(lab.value)} {lab.unit} (ULN {_fmt(lab.uln)})"))
    grades = _worst_per_term(grades)
    anc, temp = by.get("anc"), by.get("temperature_c")
    if anc is not None and temp is not None and anc.value < 1.0:
        if temp.value > FEBRILE_C:
            grades.append(DerivedGrade("febrile_neutropenia", 3, "anc", f"ANC {_fmt(anc.value)} x 10^9/L with temperature {_fmt(temp.value)} C (> {FEBRILE_C})"))
        elif temp.value >= FEBRILE_SUSTAINED_C:
            warnings.append(
                f"temperature {_fmt(temp.value)} C with ANC < 1.0: febrile neutropenia if sustained >= 38.0 C for an hour; "
                "not derived from a single reading"
            )
    return Grading(labs, tuple(grades), tuple(warnings))


def _worst_per_term(grades: list[DerivedGrade]) -> list[DerivedGrade]:
    """One grade per term: hypocalcemia from total and from ionized calcium keeps the worse."""
    best: dict[str, DerivedGrade] = {}
    for g in grades:
        if g.term not in best or g.grade > best[g.term].grade:
            best[g.term] = g
    return [g for g in grades if best[g.term] is g]
