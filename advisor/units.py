"""Lab analytes, their canonical units and the exact conversions the spec lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Analyte:
    key: str
    canonical: str
    conversions: dict[str, Callable[[float], float]]
    conversion_text: dict[str, str]
    plausible: tuple[float, float]  # canonical-unit bounds outside which a value is impossible


def _same(x: float) -> float:
    return x


def _mk(key, canonical, conv: dict[str, tuple[Callable[[float], float], str]], plausible) -> Analyte:
    conversions = {canonical: _same}
    texts = {canonical: ""}
    for unit, (fn, text) in conv.items():
        conversions[unit] = fn
        texts[unit] = text
    return Analyte(key, canonical, conversions, texts, plausible)


_enzyme = {"IU/L": (_same, "1 IU/L = 1 U/L"), "ukat/L": (lambda x: x * 60, "x 60")}
_count = {
    "/uL": (lambda x: x / 1000, "/ 1000"),
    "cells/uL": (lambda x: x / 1000, "/ 1000"),
    "/mm3": (lambda x: x / 1000, "/ 1000"),
    "cells/mm3": (lambda x: x / 1000, "/ 1000"),
    "K/uL": (_same, "1 K/uL = 1 x 10^9/L"),
    "10^3/uL": (_same, "1 x 10^3/uL = 1 x 10^9/L"),
    "G/L": (_same, "1 G/L (giga per litre) = 1 x 10^9/L"),
}
_bili = {"umol/L": (lambda x: x / 17.1, "/ 17.1")}
# Molar masses: calcium 40.08 g/mol (1 mmol/L = 4.008 mg/dL), magnesium 24.305 (2.431),
# phosphorus 30.97 (3.097); potassium is univalent, so mEq/L and mmol/L are the same number.
_calcium = {"mmol/L": (lambda x: x * 4.008, "x 4.008")}
_magnesium = {"mmol/L": (lambda x: x * 2.431, "x 2.431")}
_phosphate = {"mmol/L": (lambda x: x * 3.097, "x 3.097")}
_potassium = {"mEq/L": (_same, "1 mEq/L = 1 mmol/L")}

ANALYTES: dict[str, Analyte] = {
    a.key: a
    for a in [
        _mk("alt", "U/L", _enzyme, (0, 100_000)),
        _mk("ast", "U/L", _enzyme, (0, 100_000)),
        _mk("alp", "U/L", _enzyme, (0, 100_000)),
        _mk("ggt", "U/L", _enzyme, (0, 100_000)),
        _mk("bilirubin_total", "mg/dL", _bili, (0, 100)),
        _mk("bilirubin_direct", "mg/dL", _bili, (0, 100)),
        _mk("anc", "10^9/L", _count, (0, 100)),
        _mk("wbc", "10^9/L", _count, (0, 1000)),
        _mk("eosinophils", "10^9/L", _count, (0, 100)),
        _mk("lymphocytes", "10^9/L", _count, (0, 1000)),
        _mk("platelets", "10^9/L", _count, (0, 5000)),
        _mk("hemoglobin", "g/dL", {"g/L": (lambda x: x / 10, "/ 10"), "mmol/L": (lambda x: x * 1.611, "x 1.611")}, (0.5, 30)),
        _mk("creatinine", "mg/dL", {"umol/L": (lambda x: x / 88.4, "/ 88.4")}, (0, 50)),
        _mk("albumin", "g/dL", {"g/L": (lambda x: x / 10, "/ 10")}, (0, 15)),
        _mk("inr", "ratio", {}, (0.1, 20)),
        _mk("ck", "U/L", _enzyme, (0, 1_000_000)),
        _mk("potassium", "mmol/L", _potassium, (0.5, 15)),
        _mk("calcium", "mg/dL", _calcium, (1, 30)),
        _mk("calcium_ionized", "mmol/L", {}, (0.1, 5)),
        _mk("magnesium", "mg/dL", _magnesium, (0.1, 20)),
        _mk("phosphate", "mg/dL", _phosphate, (0.1, 30)),
        _mk("temperature_c", "Cel", {"degF": (lambda x: (x - 32) * 5 / 9, "(F - 32) x 5/9")}, (25, 45)),
    ]
}


def accepted_units(key: str) -> list[str]:
    return list(ANALYTES[key].conversions)


def to_canonical(key: str, value: float, unit: str) -> float:
    """Convert value from unit to the analyte's canonical unit (the unit must be accepted).

    The result is rounded to 12 significant digits so that binary floating-point noise
    (0.1 ukat/L x 60 = 6.000000000000001) does not move a value across a grade boundary.
    """
    converted = ANALYTES[key].conversions[unit](value)
    return float(f"{converted:.12g}") if converted == converted else converted


# Typical reference limits (clinical.md), canonical units: the defaults when a state gives none,
# and the yardstick for a stated limit that looks like a unit mix-up.
# The ranges added for the newer terms (docs/ctcae.md): GGT 0-60 U/L, CK 0-200 U/L, lymphocytes
# >= 1.0, potassium 3.5-5.0 mmol/L, calcium 8.5-10.5 mg/dL, ionized calcium 1.15-1.32 mmol/L,
# magnesium 1.7-2.4 mg/dL, phosphate 2.5-4.5 mg/dL, albumin 3.5-5.0 g/dL.
TYPICAL_ULN = {"alt": 40.0, "ast": 40.0, "alp": 120.0, "bilirubin_total": 1.2, "creatinine": 1.2, "eosinophils": 0.5,
               "ggt": 60.0, "ck": 200.0}
TYPICAL_LLN = {"anc": 1.5, "platelets": 150.0, "wbc": 4.0, "hemoglobin": 12.0, "lymphocytes": 1.0, "potassium": 3.5,
               "calcium": 8.5, "calcium_ionized": 1.15, "magnesium": 1.7, "phosphate": 2.5, "albumin": 3.5}
# A stated limit more than this factor away from the typical one is read as a unit mix-up
# (a bilirubin in umol/L with a ULN of 1.2, an ANC in /uL with an LLN of 1.5).
REFERENCE_SPREAD = 4.0

_TEMPERATURE = {"c": "Cel", "°c": "Cel", "degc": "Cel", "cel": "Cel", "f": "degF", "°f": "degF", "degf": "degF"}


# Spellings of the same unit (after case folding and removing spaces): UCUM's 10*9/L, 10E9/L.
_SPELLINGS = {"10*9/l": "10^9/L", "10e9/l": "10^9/L", "10*3/ul": "10^3/uL", "10e3/ul": "10^3/uL", "/mm^3": "/mm3",
              "cells/mm^3": "cells/mm3", "cells/cumm": "cells/mm3", "/cumm": "/mm3", "meq/l": "mEq/L"}


def normalise_unit(unit: str) -> str:
    """Unit text as written, tidied: µ or μ for u, no spaces, x10^9/L, °C / F. Which accepted
    spelling it is depends on the analyte (g/L is grams for hemoglobin, G/L giga for counts):
    spell_unit() decides that."""
    u = unit.strip().replace("µ", "u").replace("μ", "u").replace(" ", "")
    if u.lower().startswith("x10"):
        u = u[1:]
    low = u.lower()
    if low in _TEMPERATURE:
        return _TEMPERATURE[low]
    return _SPELLINGS.get(low, u)


def spell_unit(key: str, unit: str) -> str:
    """The accepted spelling of `unit` for analyte `key`: exact first, then ignoring case; a unit
    that matches nothing is returned as written, for the error that lists the accepted ones."""
    accepted = ANALYTES[key].conversions
    if unit in accepted:
        return unit
    low = unit.lower()
    return next((a for a in accepted if a.lower() == low), unit)
