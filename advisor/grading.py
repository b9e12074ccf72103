"""CTCAE v5 grading of lab values (NCI CTCAE v5.0, 2017).

Grades are derived, never guessed: a missing reference limit uses a documented default
range and the assumption is carried into the output.
"""

from __future__ import annotations

from dataclasses import dataclass

from .state import PatientState
from .units import ANALYTES, TYPICAL_LLN, TYPICAL_ULN, to_canonical

# Typical reference limits used when the state gives none (clinical.md), canonical units.
DEFAULT_ULN = TYPICAL_ULN
DEFAULT_LLN = TYPICAL_LLN

# Increased analytes: grade g when value > threshold[g-1] x reference (strict, per CTCAE ranges).
_RISE = {
    "alt": ("alt_increased", (1.0, 3.0, 5.0, 20.0), (1.5, 3.0, 5.0, 20.0)),
    "ast": ("ast_increased", (1.0, 3.0, 5.0, 20.0), (1.5, 3.0, 5.0, 20.0)),
    "bilirubin_total": ("blood_bilirubin_increased", (1.0, 1.5, 3.0, 10.0), (1.0, 1.5, 3.0, 10.0)),
    "alp": ("alkaline_phosphatase_increased", (1.0, 2.5, 5.0, 20.0), (2.0, 2.5, 5.0, 20.0)),
    "creatinine": ("creatinine_increased", (1.0, 1.5, 3.0, 6.0), None),
}
# Decreased analytes: grade 1 below LLN, then grade g when value < the absolute threshold.
_FALL = {
    "anc": ("neutrophil_count_decreased", (1.5, 1.0, 0.5)),
    "platelets": ("platelet_count_decreased", (75.0, 50.0, 25.0)),
    "wbc": ("white_blood_cell_decreased", (3.0, 2.0, 1.0)),
    "hemoglobin": ("anemia", (10.0, 8.0)),  # grade 4 (life-threatening) is clinical, not a lab value
}
RISING_ANALYTES = tuple(_RISE)  # graded on multiples of ULN (or of an abnormal baseline)
FALLING_ANALYTES = tuple(_FALL)  # graded below LLN and absolute thresholds
LAB_TERMS = {k: v[0] for k, v in _RISE.items()} | {k: v[0] for k, v in _FALL.items()} | {"eosinophils": "eosinophilia"}
FEBRILE_C = 38.3
FEBRILE_SUSTAINED_C = 38.0


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
        if uln is None and key in DEFAULT_ULN:
            uln = DEFAULT_ULN[key]
            assumed = f"ULN for {key} assumed {_fmt(uln)} {analyte.canonical}"
        if lln is None and key in DEFAULT_LLN:
            lln = DEFAULT_LLN[key]
            assumed = f"LLN for {key} assumed {_fmt(lln)} {analyte.canonical}"
        unit_assumed = f"no unit given for {key}; read as {analyte.canonical}" if lab.unit is None else None
        out.append(LabValue(key, value, analyte.canonical, uln, lln, conv(lab.baseline), f"{_fmt(lab.value)} {unit}", conversion, assumed,
                            unit_assumed))
    return tuple(out)


def grade_rise(analyte: str, value: float, uln: float, baseline: float | None) -> tuple[int, str]:
    """Grade an increased analyte; v5 uses multiples of an abnormal baseline for liver tests."""
    term, uln_steps, base_steps = _RISE[analyte]
    if base_steps is not None and baseline is not None and baseline > uln:
        ratio = value / baseline
        steps, ref = base_steps, "baseline"
        # v5 writes grade 1 on an abnormal baseline as "1.5 - 3.0 x baseline" (ALT, AST) and
        # "2.0 - 2.5 x baseline" (ALP): the lower bound is inclusive; bilirubin's is "> 1.0".
        inclusive_first = analyte != "bilirubin_total"
    else:
        ratio = value / uln
        steps, ref = uln_steps, "ULN"
        inclusive_first = False
    # Compare on a rounded ratio: 2.1 / 0.7 is 3.0000000000000004 in binary floating point,
    # which would make a value of exactly 3 x ULN a grade too high.
    r = round(ratio, 9)
    grade = sum(1 for i, t in enumerate(steps) if r > t or (i == 0 and inclusive_first and r >= t))
    return grade, f"{ratio:.2f} x {ref}"


def grade_fall(analyte: str, value: float, lln: float | None) -> int:
    _, steps = _FALL[analyte]
    if lln is not None and value >= lln:
        return 0
    grade = 1
    for i, t in enumerate(steps):
        if value < t:
            grade = i + 2
    if lln is None and value >= steps[0]:
        return 0
    return grade


def grade_labs(state: PatientState) -> Grading:
    labs = canonical_labs(state)
    grades: list[DerivedGrade] = []
    warnings: list[str] = [w for lab in labs for w in (lab.unit_assumed, lab.assumed) if w]
    by = {lab.analyte: lab for lab in labs}
    for lab in labs:
        a = lab.analyte
        if a in _RISE and lab.uln:
            grade, ratio = grade_rise(a, lab.value, lab.uln, lab.baseline)
            grades.append(DerivedGrade(_RISE[a][0], grade, a, f"{a} {_fmt(lab.value)} {lab.unit} = {ratio}"))
        elif a in _FALL:
            grade = grade_fall(a, lab.value, lab.lln)
            grades.append(DerivedGrade(_FALL[a][0], grade, a, f"{a} {_fmt(lab.value)} {lab.unit} (LLN {_fmt(lab.lln) if lab.lln else '?'})"))
        elif a == "eosinophils" and lab.uln:
            above = lab.value > lab.uln and (lab.baseline is None or lab.value > lab.baseline)
            grades.append(DerivedGrade("eosinophilia", 1 if above else 0, a, f"eosinophils {_fmt(lab.value)} {lab.unit} (ULN {_fmt(lab.uln)})"))
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
