"""A synthetic clinic: patient states from a fixed seed, spread over every AE term, grade,
imatinib status, lab pattern and response (used by benchmarks/run.py and tests/test_reference.py).

States are plain data in the patient-state file format; `states()` validates them like a file.
"""

from __future__ import annotations

import random
from typing import Any

from advisor import vocab

SEED = 20240608
DOSES = (100, 200, 300, 400, 600, 800)
LAB_PATTERNS = ("none", "normal", "hepatic", "cholestatic", "hy_law", "cytopenia", "febrile", "renal", "eosinophilia", "mixed")


def _grade(term: str, r: random.Random) -> int:
    lo, hi = vocab.MIN_GRADE.get(term, 1), vocab.MAX_GRADE.get(term, 5)
    return r.randint(lo, min(hi, 4)) if r.random() < 0.9 else r.randint(lo, hi)


def _labs(pattern: str, r: random.Random) -> dict[str, Any]:
    if pattern == "none":
        return {}
    labs: dict[str, Any] = {}
    if pattern in ("normal", "mixed"):
        labs.update(alt={"value": r.randint(10, 40), "unit": "U/L", "uln": 40}, anc={"value": round(r.uniform(1.6, 6), 2)},
                    platelets={"value": r.randint(150, 400)}, hemoglobin={"value": round(r.uniform(12, 16), 1)})
    if pattern in ("hepatic", "hy_law", "mixed"):
        uln = r.choice((35, 40, 45))
        labs["alt"] = {"value": round(uln * r.choice((0.8, 1.5, 2.9, 3.5, 4.9, 6, 12, 25)), 1), "unit": r.choice(("U/L", "IU/L")), "uln": uln}
        labs["ast"] = {"value": round(uln * r.choice((0.9, 1.2, 3.2, 5.5, 21)), 1), "uln": uln}
    if pattern in ("cholestatic", "hy_law"):
        labs["bilirubin_total"] = {"value": round(r.choice((0.8, 1.4, 2.0, 3.9, 6.0, 13.0)), 2), "uln": 1.2}
        if r.random() < 0.5:
            labs["bilirubin_direct"] = {"value": round(labs["bilirubin_total"]["value"] * r.choice((0.1, 0.5)), 2)}
        labs["alp"] = {"value": r.choice((90, 200, 350, 700)), "uln": 120}
    if pattern in ("cytopenia", "febrile", "mixed"):
        if r.random() < 0.5:
            labs["anc"] = {"value": r.choice((300, 700, 1200, 1800)), "unit": "/uL"}
        else:
            labs["anc"] = {"value": r.choice((0.3, 0.7, 1.2, 1.8))}
        labs["platelets"] = {"value": r.choice((20, 45, 70, 120, 200))}
        labs["hemoglobin"] = {"value": r.choice((7.5, 9.0, 11.0, 13.0))}
        labs["wbc"] = {"value": r.choice((0.8, 1.8, 2.5, 5.0))}
    if pattern == "febrile":
        labs["temperature_c"] = {"value": r.choice((37.2, 38.1, 38.6, 39.4))}
    if pattern == "renal":
        labs["creatinine"] = {"value": r.choice((0.9, 1.5, 2.2, 4.0, 8.0)), "uln": 1.2}
    if pattern == "eosinophilia":
        labs["eosinophils"] = {"value": r.choice((0.3, 0.8, 1.6, 5.2))}
    return labs


def state_data(i: int, r: random.Random) -> dict[str, Any]:
    """The i-th state: the AE term and status cycle so that every value appears early on."""
    terms = list(vocab.AE_TERMS)
    status = vocab.STATUSES[i % len(vocab.STATUSES)]
    dose = r.choice(DOSES)
    im: dict[str, Any] = {"status": status}
    if status in ("taking", "interrupted") or r.random() < 0.5:
        im["dose_mg"] = dose
        if dose == 100 and r.random() < 0.3:
            im["schedule"] = "every_other_day"
        elif dose == 800 and r.random() < 0.7:
            im["schedule"] = "twice_daily"
    if status == "interrupted" and r.random() < 0.8:
        im["days_interrupted"] = r.choice((1, 7, 14, 21, 28, 60))
    aes = []
    first = terms[i % len(terms)]
    for term in [first] + r.sample(terms, r.choice((0, 0, 1, 1, 2))):
        if term in (a["term"] for a in aes):
            continue
        ae: dict[str, Any] = {"term": term, "grade": _grade(term, r)}
        if term in vocab.OTHER_SPECIFY:
            ae["specify"] = "an event the term list does not name"
        if r.random() < 0.8:
            ae["trend"] = r.choice(vocab.TRENDS)
        if r.random() < 0.3:
            ae["features"] = r.sample(list(vocab.FEATURES), r.randint(1, 2))
        if r.random() < 0.15:
            ae["recurrence"] = True
        aes.append(ae)
    data: dict[str, Any] = {
        "patient": {"age": r.randint(25, 88), "sex": r.choice(vocab.SEXES), "weight_kg": r.randint(45, 110)},
        "indication": r.choice(vocab.INDICATIONS),
        "mutation": r.choice(vocab.MUTATIONS),
        "day": r.randint(0, 2000),
        "imatinib": im,
        "adverse_events": aes,
    }
    if data["indication"] == "adjuvant" and r.random() < 0.7:
        data["risk"] = r.choice(vocab.RISKS)
    labs = _labs(LAB_PATTERNS[(i // 7) % len(LAB_PATTERNS)], r)
    if labs:
        data["labs"] = labs
    if r.random() < 0.4:
        data["findings"] = r.sample(list(vocab.FINDINGS), r.randint(1, 3))
    if r.random() < 0.35:
        cls = r.sample(vocab.COMED_CLASSES, r.randint(1, 2))
        data["co_medications"] = [{"drug": c.replace("_", " "), "class": c, "dose_mg": r.choice((5, 10, 20, 30, 60)),
                                   "days_on": r.choice((1, 7, 14, 30))} for c in cls]
    if r.random() < 0.7:
        rs = vocab.RESPONSE_STATUSES[(i // 3) % len(vocab.RESPONSE_STATUSES)]
        resp: dict[str, Any] = {"status": rs, "criteria": r.choice(vocab.CRITERIA)}
        if rs == "progressive_disease":
            resp["progression"] = r.choice(vocab.PROGRESSIONS)
        data["response"] = resp
    if r.random() < 0.25:
        data["history"] = [{"term": r.choice(terms), "grade": r.randint(1, 3), "dose_mg": r.choice(DOSES),
                            "outcome": r.choice(vocab.OUTCOMES)}]
        if data["history"][0]["term"] in vocab.OTHER_SPECIFY:
            data["history"][0]["specify"] = "an event the term list does not name"
    return data


def cohort(n: int, seed: int = SEED) -> list[dict[str, Any]]:
    r = random.Random(seed)
    return [state_data(i, r) for i in range(n)]


def states(n: int, seed: int = SEED) -> list:
    """n validated PatientStates (each checked like a state file)."""
    from advisor.state import state_from_data
    from advisor.yamlio import Document

    out = []
    for data in cohort(n, seed):
        out.append(state_from_data(data, Document(data, "<cohort>")))
    return out
