"""The interview behind `advisor ask`: questions, on-the-spot validation, and the state they build.

The interview talks to the user only through an `IO` (ask a question, say something), so tests
script the answers and the CLI wires it to the terminal. Every question has a stable key
("imatinib.dose_mg", "adverse_events[0].grade", "labs.alt.value", "adverse_events[1]?" for
"add another?") so a test can answer by meaning rather than by position.

Answers are checked with the same models as state files (advisor/state.py): a value the file
loader would reject is explained and asked again, and the finished draft goes through
`state_from_data` exactly like a file.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from rich.markup import escape

from . import vocab
from .atomic import write_text_atomic
from .errors import AdvisorError, InputError
from .grading import DEFAULT_LLN, DEFAULT_ULN, FALLING_ANALYTES, RISING_ANALYTES
from .state import (LADDER_DOSES, AdverseEvent, Comedication, HistoryItem, Imatinib, Patient, PatientState,
                    Response, friendly_message, state_from_data, state_to_data)
from .units import ANALYTES
from .yamlio import Document

T = TypeVar("T")
Data = dict[str, Any]


class IO(Protocol):
    def ask(self, prompt: str, default: str | None = None, *, key: str = "", choices: Sequence[str] = ()) -> str:
        """Show prompt (and default, if any), return the raw answer; `choices` feed completion."""

    def say(self, text: str) -> None:
        """Show a line of text (rich markup allowed)."""


class InterviewAborted(AdvisorError):
    """The input ended before the interview finished (Ctrl-D, or a script ran out)."""


HELP = ("Enter takes the value in [brackets] or skips an optional question; '?' lists the choices; "
        "'-' clears a value; choices take a number or a name (a unique start is enough); Ctrl-C quits without saving.")

# --------------------------------------------------------------------------- vocabularies
# Which labs, features and findings matter for an adverse-event area: offered first, so a
# rash-only visit is not asked for a liver panel.
AREA_LABS: dict[str, tuple[str, ...]] = {
    "hepatic": ("alt", "ast", "bilirubin_total", "alp"),
    "hematologic": ("anc", "platelets", "hemoglobin", "temperature_c"),
    "hypersensitivity": ("eosinophils",),
    "renal": ("creatinine",),
}
TERM_LABS: dict[str, tuple[str, ...]] = {
    "fever": ("temperature_c", "anc"),
    "drug_reaction_eosinophilia": ("eosinophils", "alt", "ast"),
}
AREA_FEATURES: dict[str, tuple[str, ...]] = {
    "skin": ("exfoliation", "mucosal_involvement", "blistering", "fever", "eosinophilia", "organ_involvement"),
    "fluid": ("periorbital",),
    "musculoskeletal": ("gait_impairment",),
    "hepatic": ("autoimmune_like", "fever", "eosinophilia"),
    "hypersensitivity": ("fever", "organ_involvement"),
    "hematologic": ("fever",),
}
AREA_FINDINGS: dict[str, tuple[str, ...]] = {
    "hepatic": ("viral_hepatitis_negative", "autoimmune_serology_negative", "autoimmune_features_on_biopsy",
                "alcohol_excluded", "concomitant_hepatotoxic_drug", "hepatic_encephalopathy"),
    "hematologic": ("blood_culture_negative", "infection_source_found"),
    "musculoskeletal": ("bone_imaging_normal", "bone_marrow_edema_on_mri", "bone_metastasis_excluded", "no_recurrence_on_ct"),
}
TERM_ALIASES = {
    "rash": "rash_maculopapular", "sjs": "stevens_johnson_syndrome", "ten": "toxic_epidermal_necrolysis",
    "dress": "drug_reaction_eosinophilia", "neutropenia": "neutrophil_count_decreased",
    "thrombocytopenia": "platelet_count_decreased", "leukopenia": "white_blood_cell_decreased",
    "edema": "edema_limbs", "oedema": "edema_limbs", "periorbital_edema": "edema_face", "hepatitis": "alt_increased",
}
TREND_ALIASES = {"worse": "worsening", "getting_worse": "worsening", "better": "improving", "same": "stable",
                 "unchanged": "stable", "gone": "resolved", "first": "new"}
RESPONSE_ALIASES = {"cr": "complete_response", "pr": "partial_response", "sd": "stable_disease", "pd": "progressive_disease",
                    "ned": "no_evidence_of_disease", "progression": "progressive_disease", "na": "not_assessed"}
LAB_ALIASES = {
    "neutrophils": "anc", "plt": "platelets", "platelet": "platelets", "hb": "hemoglobin", "hgb": "hemoglobin",
    "haemoglobin": "hemoglobin", "bilirubin": "bilirubin_total", "bili": "bilirubin_total", "temp": "temperature_c",
    "temperature": "temperature_c", "eos": "eosinophils", "creat": "creatinine", "cr": "creatinine",
    "alkaline_phosphatase": "alp", "sgpt": "alt", "sgot": "ast", "leukocytes": "wbc",
}
LAB_LABELS = {"alt": "ALT", "ast": "AST", "alp": "ALP", "ggt": "GGT", "anc": "ANC", "wbc": "WBC", "inr": "INR",
              "bilirubin_total": "Total bilirubin", "bilirubin_direct": "Direct bilirubin", "temperature_c": "Temperature"}
UNIT_ALIASES = {"c": "Cel", "°c": "Cel", "degc": "Cel", "f": "degF", "°f": "degF", "x10^9/l": "10^9/L", "g/l": "g/L"}
# Reference limits asked for each analyte: ULN for rising tests, LLN for falling counts,
# baseline where CTCAE v5 grades against an abnormal baseline (liver tests).
RISING = RISING_ANALYTES + ("eosinophils",)
FALLING = FALLING_ANALYTES
BASELINE = ("alt", "ast", "alp", "bilirubin_total")
_LAB_FIELDS = ("uln", "lln", "baseline")


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def match_choice(raw: str, options: Sequence[str], aliases: dict[str, str] | None = None) -> str:
    """A number, a name, an alias, or a unique start or part of a name -> the option."""
    s = _norm(raw)
    if s.isdigit():
        n = int(s)
        if 1 <= n <= len(options):
            return options[n - 1]
        raise ValueError(f"{raw} is not a number from 1 to {len(options)}")
    if s in options:
        return s
    if aliases and s in aliases and aliases[s] in options:
        return aliases[s]
    starts = [o for o in options if o.startswith(s)]
    if len(starts) == 1:
        return starts[0]
    parts = [o for o in options if s in o] if len(s) >= 3 else []
    if not starts and len(parts) == 1:
        return parts[0]
    if starts or parts:
        return _raise(f"'{raw}' could be {', '.join(starts or parts)}; type more of the name")
    return _raise(f"'{raw}' is not one of the choices{_suggest(s, options, aliases or {})}; type ? to list them")


def _suggest(s: str, options: Sequence[str], aliases: dict[str, str]) -> str:
    """Close names, also by alias and by the first word of each name ('rahs' -> rash_maculopapular)."""
    targets = {o: o for o in options} | {o.split("_")[0]: o for o in options} | {k: v for k, v in aliases.items() if v in options}
    close = dict.fromkeys(targets[c] for c in difflib.get_close_matches(s, list(targets), n=4, cutoff=0.6))
    return f" (did you mean {', '.join(repr(c) for c in list(close)[:3])}?)" if close else ""


def _raise(msg: str) -> Any:
    raise ValueError(msg)


def numbered(options: Sequence[str], meanings: dict[str, str] | None = None) -> str:
    meanings = meanings or {}
    return "\n".join(f"  {i:>2} {o}" + (f"  [dim]{escape(meanings[o])}[/dim]" if o in meanings else "") for i, o in enumerate(options, 1))


def inline(options: Sequence[str]) -> str:
    return ", ".join(f"{i} {o}" for i, o in enumerate(options, 1))


# --------------------------------------------------------------------------- checking answers
def check_fields(model: type[BaseModel], data: Data, field: str | None) -> None:
    """Validate a partial section with the state model; raise ValueError naming what is wrong.

    With a field, only errors on that field count (questions not yet asked are 'missing');
    with None, the whole section is checked, including cross-field rules.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            if field is not None and (loc[:1] != (field,) or err["type"] == "missing"):
                continue
            if field is None and err["type"] == "missing":
                continue
            raise ValueError(friendly_message(err, {})) from None


def check_lab(key: str, lab: Data) -> None:
    """Units and plausibility exactly as a state file's labs are checked."""
    data = {"imatinib": {"status": "not_started"}, "labs": {key: lab}}
    try:
        state_from_data(data, Document(data, "<answer>"))
    except InputError as exc:
        raise ValueError("; ".join(p.split(": ", 2)[-1] for p in exc.problems) or exc.message) from None


def _int(raw: str, suffix: str = "") -> int:
    s = raw.strip().lower()
    if suffix:
        s = re.sub(rf"\s*{suffix}\b.*$", "", s)
    if not re.fullmatch(r"[+-]?\d+", s):
        raise ValueError(f"expected a whole number, got '{raw}'")
    return int(s)


def _float(raw: str) -> float:
    s = raw.strip()
    if "," in s and "." not in s:  # decimal comma, as many lab reports print it
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"expected a number, got '{raw}'") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite number, got '{raw}'")
    return value


def _yes(raw: str) -> bool:
    s = raw.strip().lower()
    if s in ("y", "yes", "j", "1", "true"):
        return True
    if s in ("n", "no", "0", "false"):
        return False
    raise ValueError(f"answer y or n (got '{raw}')")


def fmt(value: Any) -> str:
    """A value as the user would type it (the inverse of the parsers above)."""
    if isinstance(value, bool):
        return "y" if value else "n"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(fmt, value))
    return str(value)


# --------------------------------------------------------------------------- asking
class Asker:
    """Question helpers that loop until an answer is valid."""

    def __init__(self, io: IO):
        self.io = io

    def value(self, key: str, prompt: str, convert: Callable[[str], T], *, current: Any = None, default: str | None = None,
              required: bool = False, help: Callable[[], str] | None = None, choices: Sequence[str] = (),
              hints: Sequence[str] = (), blank: str = "Enter to skip") -> T | None:
        has_current = current not in (None, [], ())
        shown = fmt(current) if has_current else default
        notes = list(hints)
        if not required:
            notes.append("- to clear" if has_current else ("" if shown else blank))
        text = prompt + (f" ({'; '.join(n for n in notes if n)})" if any(notes) else "")
        while True:
            raw = self.io.ask(text, shown, key=key, choices=choices).strip()
            if raw == "?":
                self.io.say(help() if help else escape(HELP))
                continue
            if raw == "-" and not required:
                return None
            if raw == "":
                if shown is None:
                    if required:
                        self.io.say("  [red]✗ an answer is needed here[/red] (? for help)")
                        continue
                    return None
                raw = shown
            try:
                return convert(raw)
            except ValueError as exc:
                self.io.say(f"  [red]✗ {escape(str(exc))}[/red]")

    def choice(self, key: str, prompt: str, options: Sequence[str], *, current: str | None = None, default: str | None = None,
               required: bool = False, meanings: dict[str, str] | None = None, aliases: dict[str, str] | None = None,
               check: Callable[[str], None] | None = None, show_inline: bool = True, blank: str = "Enter to skip",
               hint: str = "? to list", help: Callable[[], str] | None = None) -> str | None:
        def convert(raw: str) -> str:
            picked = match_choice(raw, options, aliases)
            if check:
                check(picked)
            return picked

        return self.value(key, prompt, convert, current=current, default=default, required=required,
                          help=help or (lambda: numbered(options, meanings)), choices=options, blank=blank,
                          hints=[inline(options) if show_inline else hint])

    def many(self, key: str, prompt: str, options: Sequence[str], *, current: Sequence[str] = (), shortlist: Sequence[str] = (),
             meanings: dict[str, str] | None = None) -> list[str]:
        """A comma-separated list of choices; the shortlist (relevant ones) is numbered first."""
        ordered = list(dict.fromkeys([*shortlist, *options]))

        def convert(raw: str) -> list[str]:
            return list(dict.fromkeys(match_choice(p, ordered) for p in raw.split(",") if p.strip()))

        hint = f"{inline(shortlist)}, or ? for all" if shortlist else "? to list"
        got = self.value(key, f"{prompt}, comma-separated", convert, current=list(current) or None,
                         help=lambda: numbered(ordered, meanings), choices=ordered, hints=[hint], blank="Enter for none")
        return got or []

    def yes(self, key: str, prompt: str, default: bool) -> bool:
        got = self.value(key, prompt, _yes, default="y" if default else "n", required=True, hints=["y/n"])
        return bool(got)


def _drop_none(d: Data) -> Data:
    return {k: v for k, v in d.items() if v not in (None, [], {})}


# --------------------------------------------------------------------------- sections
def ask_patient(a: Asker, d: Data) -> None:
    cur = d.get("patient", {})
    p: Data = {}
    p["age"] = a.value("patient.age", "Age in years", lambda r: _checked(Patient, p, "age", _int(r, "y")), current=cur.get("age"))
    p["sex"] = a.choice("patient.sex", "Sex", vocab.SEXES, current=cur.get("sex"))
    p["weight_kg"] = a.value("patient.weight_kg", "Weight in kg, for weight-based steroid doses",
                             lambda r: _checked(Patient, p, "weight_kg", _float(re.sub(r"\s*kg$", "", r.strip()))),
                             current=cur.get("weight_kg"))
    d["patient"] = _drop_none(p)


def _checked(model: type[BaseModel], section: Data, field: str, value: Any, whole: bool = False) -> Any:
    trial = _drop_none({**section, field: value})
    check_fields(model, trial, field)
    if whole:
        check_fields(model, trial, None)
    return value


def _check_only(model: type[BaseModel], section: Data, field: str, value: Any) -> None:
    _checked(model, section, field, value, whole=True)


def ask_imatinib(a: Asker, d: Data) -> None:
    cur = d.get("imatinib", {})
    im: Data = {}
    im["status"] = a.choice("imatinib.status", "Imatinib status", vocab.STATUSES, current=cur.get("status"), default="taking",
                            required=True)
    on_it = im["status"] in ("taking", "interrupted")
    word = "Current" if im["status"] == "taking" else "Last"
    im["dose_mg"] = a.value("imatinib.dose_mg", f"{word} daily dose in mg ({', '.join(map(str, LADDER_DOSES))})",
                            lambda r: _checked(Imatinib, im, "dose_mg", _int(r, "mg")), current=cur.get("dose_mg"),
                            default="400" if on_it else None, required=on_it)
    im["schedule"] = a.choice("imatinib.schedule", "Schedule", vocab.SCHEDULES, current=cur.get("schedule"), default="daily",
                              required=True, check=lambda v: _check_only(Imatinib, im, "schedule", v))
    if im["status"] == "interrupted":
        im["days_interrupted"] = a.value("imatinib.days_interrupted", "Days since the last dose",
                                         lambda r: _checked(Imatinib, im, "days_interrupted", _int(r, "d")),
                                         current=cur.get("days_interrupted"))
    d["imatinib"] = _drop_none(im)


def ask_disease(a: Asker, d: Data) -> None:
    d["indication"] = a.choice("indication", "Indication", vocab.INDICATIONS, current=d.get("indication"))
    # risk is an adjuvant-only notion (patient-state.md): asked for adjuvant, dropped otherwise
    d["risk"] = (a.choice("risk", "Recurrence risk (modified NIH)", vocab.RISKS, current=d.get("risk"))
                 if d["indication"] == "adjuvant" else None)
    d["mutation"] = a.choice("mutation", "Mutation", vocab.MUTATIONS, current=d.get("mutation"), show_inline=False)
    d["day"] = a.value("day", "Days since imatinib was first started",
                       lambda r: _checked(PatientState, {"imatinib": {"status": "taking", "dose_mg": 400}}, "day", _int(r, "d")),
                       current=d.get("day"))


def _term_help() -> str:
    lines, n = [], 0
    by_area: dict[str, list[str]] = {}
    for term, area in vocab.AE_TERMS.items():
        by_area.setdefault(area, []).append(term)
    for area, terms in by_area.items():
        lines.append(f"[bold]{area}[/bold]")
        for t in terms:
            n = list(vocab.AE_TERMS).index(t) + 1
            lines.append(f"  {n:>2} {t}")
    return "\n".join(lines)


def _ae_summary(ae: Data) -> str:
    extra = [ae.get("trend", "")] + list(ae.get("features", [])) + (["recurrence"] if ae.get("recurrence") else [])
    return f"{ae['term']} grade {ae['grade']}" + (f" ({', '.join(e for e in extra if e)})" if any(extra) else "")


def ask_one_ae(a: Asker, i: int, cur: Data, status: str) -> Data:
    k = f"adverse_events[{i}]"
    ae: Data = {}
    ae["term"] = a.choice(f"{k}.term", "Adverse event, CTCAE term", list(vocab.AE_TERMS), current=cur.get("term"),
                          required=True, aliases=TERM_ALIASES, show_inline=False, hint="Tab completes, ? lists all",
                          help=_term_help)
    lo, hi = vocab.MIN_GRADE.get(ae["term"], 1), vocab.MAX_GRADE.get(ae["term"], 5)
    ae["grade"] = a.value(f"{k}.grade", f"Grade (CTCAE v5, {lo}-{hi} for {ae['term']})",
                          lambda r: _checked(AdverseEvent, ae, "grade", _int(r), whole=True), current=cur.get("grade"),
                          required=True)
    ae["trend"] = a.choice(f"{k}.trend", "Trend", vocab.TRENDS, current=cur.get("trend"), aliases=TREND_ALIASES)
    area = vocab.AE_TERMS[ae["term"]]
    ae["features"] = a.many(f"{k}.features", "Features", list(vocab.FEATURES), current=cur.get("features", ()),
                            shortlist=AREA_FEATURES.get(area, ()) + ("limits_self_care",), meanings=vocab.FEATURES)
    if status in ("taking", "interrupted") or cur.get("recurrence"):
        ae["recurrence"] = a.yes(f"{k}.recurrence", "Did it come back after restarting imatinib?", bool(cur.get("recurrence")))
    return _drop_none(ae)


def _edit_list(a: Asker, key: str, noun: str, items: list[Data], summary: Callable[[Data], str],
               one: Callable[[int, Data], Data], first_default: bool, prompts: tuple[str, str]) -> list[Data]:
    """Keep, change or drop each existing item, then offer to add more."""
    out: list[Data] = []
    for i, item in enumerate(items):
        act = a.choice(f"{key}[{i}].keep", f"{noun.capitalize()} {i + 1}: {summary(item)}", ("keep", "change", "drop"),
                       default="keep", required=True)
        if act == "keep":
            out.append(item)
        elif act == "change":
            out.append(one(len(out), item))
    while True:
        n = len(out)
        prompt = prompts[0] if n == 0 else prompts[1]
        if not a.yes(f"{key}[{n}]?", prompt, first_default and n == 0 and not items):
            return out
        out.append(one(n, {}))


def ask_adverse_events(a: Asker, d: Data) -> None:
    status = d.get("imatinib", {}).get("status", "taking")
    d["adverse_events"] = _edit_list(a, "adverse_events", "adverse event", list(d.get("adverse_events", [])), _ae_summary,
                                     lambda i, cur: ask_one_ae(a, i, cur, status), first_default=True,
                                     prompts=("Any adverse event to record?", "Another adverse event?"))


def relevant_labs(d: Data) -> list[str]:
    keys: list[str] = []
    for ae in d.get("adverse_events", []):
        keys += AREA_LABS.get(vocab.AE_TERMS.get(ae["term"], ""), ()) + TERM_LABS.get(ae["term"], ())
    return list(dict.fromkeys(keys + list(d.get("labs", {}))))


def _parse_lab(key: str, raw: str) -> Data:
    """'393', '393 IU/L', '800 /uL', '393 U/L uln 40' -> lab fields (value, unit, uln, lln, baseline)."""
    tokens = raw.split()
    lab: Data = {"value": _float(tokens[0])}
    rest = tokens[1:]
    while rest:
        tok = rest.pop(0)
        if tok.lower() in _LAB_FIELDS:
            if not rest:
                raise ValueError(f"'{tok}' needs a number after it")
            lab[tok.lower()] = _float(rest.pop(0))
        else:
            lab["unit"] = _unit(key, tok)
    given_unit = "unit" in lab
    lab.setdefault("unit", ANALYTES[key].canonical)
    try:
        check_lab(key, lab)
    except ValueError as exc:
        if given_unit:
            raise
        raise ValueError(f"{exc}{_other_unit(key, lab)}") from None
    return lab


def _other_unit(key: str, lab: Data) -> str:
    """A number typed without its unit is often in another common unit (ANC 800 per uL)."""
    for unit in ANALYTES[key].conversions:
        try:
            check_lab(key, {**lab, "unit": unit})
        except ValueError:
            continue
        return f"; if it was in {unit}, type '{fmt(lab['value'])} {unit}'"
    return ""


def _unit(key: str, raw: str) -> str:
    accepted = list(ANALYTES[key].conversions)
    s = raw.strip().replace("µ", "u").replace("μ", "u")
    for u in accepted:
        if u.lower() == s.lower():
            return u
    alias = UNIT_ALIASES.get(s.lower())
    if alias in accepted:
        return alias
    raise ValueError(f"unit '{raw}' is not accepted for {key}; accepted: {', '.join(accepted)}")


def ask_one_lab(a: Asker, key: str, cur: Data) -> Data | None:
    an = ANALYTES[key]
    label = LAB_LABELS.get(key, key.capitalize())
    units = ", ".join(u for u in an.conversions if u != an.canonical)
    example = {"anc": " (e.g. 800 /uL)", "temperature_c": " (e.g. 101.3 degF)"}.get(key, "")
    shown_unit = "°C" if an.canonical == "Cel" else an.canonical
    lab = a.value(f"labs.{key}.value", f"{label} in {shown_unit}" + (f"; or add a unit: {units}{example}" if units else ""),
                  lambda r: _parse_lab(key, r), current=lab_answer(key, cur) if cur else None,
                  help=lambda: f"a number, optionally followed by a unit ({', '.join(an.conversions)}) and 'uln N', 'lln N', 'baseline N'")
    if lab is None:
        return None
    unit = lab["unit"]
    refs: list[tuple[str, str, str]] = []
    if key in RISING and "uln" not in lab:
        dflt = DEFAULT_ULN.get(key)
        refs.append(("uln", f"  upper limit of normal, {unit}", f"Enter to assume {dflt:g} {an.canonical}" if dflt else "Enter to skip"))
    if key in FALLING and "lln" not in lab:
        dflt = DEFAULT_LLN.get(key)
        refs.append(("lln", f"  lower limit of normal, {unit}", f"Enter to assume {dflt:g} {an.canonical}" if dflt else "Enter to skip"))
    if key in BASELINE and "baseline" not in lab:
        refs.append(("baseline", f"  baseline before imatinib, {unit}", "Enter if it was normal or unknown"))
    for field, prompt, note in refs:
        def convert(r: str, field: str = field) -> float:
            trial = {**lab, field: _float(r)}
            check_lab(key, trial)
            return trial[field]

        got = a.value(f"labs.{key}.{field}", prompt, convert, current=cur.get(field), blank=note)
        if got is not None:
            lab[field] = got
    return lab


def asks_ref(key: str, field: str) -> bool:
    """Whether the interview asks for this reference limit of this lab on its own line."""
    return key in {"uln": RISING, "lln": FALLING, "baseline": BASELINE}[field]


def lab_answer(key: str, lab: Data) -> str:
    """What to type at a lab's value prompt: value, unit, and any limit not asked separately."""
    parts = [fmt(lab["value"])] + ([lab["unit"]] if lab.get("unit") else [])
    for field in _LAB_FIELDS:
        if lab.get(field) is not None and not asks_ref(key, field):
            parts += [field, fmt(lab[field])]
    return " ".join(parts)


def ask_labs(a: Asker, d: Data) -> None:
    cur: dict[str, Data] = dict(d.get("labs", {}))
    offer = relevant_labs(d)
    labs: dict[str, Data] = {}
    if offer:
        a.io.say(f"[dim]Labs for {', '.join(offer)}: Enter skips one you do not have.[/dim]")
        for key in offer:
            got = ask_one_lab(a, key, cur.get(key, {}))
            if got is not None:
                labs[key] = got
    elif not a.yes("labs?", "Enter lab values?", default=not d.get("adverse_events")):
        d["labs"] = {}
        return
    options = list(ANALYTES)
    while True:
        key = a.choice("labs.other", "Another lab" if labs or offer else "Which lab", options, aliases=LAB_ALIASES,
                       show_inline=False, hint="name or number, ? to list", blank="Enter when done")
        if key is None:
            break
        got = ask_one_lab(a, key, labs.get(key, cur.get(key, {})))
        if got is not None:
            labs[key] = got
    d["labs"] = labs


def ask_findings(a: Asker, d: Data) -> None:
    areas = [vocab.AE_TERMS.get(ae["term"], "") for ae in d.get("adverse_events", [])]
    short = [f for area in areas for f in AREA_FINDINGS.get(area, ())] + (["no_alternative_cause"] if areas else [])
    d["findings"] = a.many("findings", "Workup findings", list(vocab.FINDINGS), current=d.get("findings", ()),
                           shortlist=list(dict.fromkeys(short)), meanings=vocab.FINDINGS)


CLASS_HINTS = {
    "prednisolone": "systemic_corticosteroid", "prednisone": "systemic_corticosteroid",
    "methylprednisolone": "systemic_corticosteroid", "dexamethasone": "systemic_corticosteroid",
    "hydrocortisone": "systemic_corticosteroid", "dexchlorpheniramine": "antihistamine", "cetirizine": "antihistamine",
    "loratadine": "antihistamine", "furosemide": "diuretic", "spironolactone": "diuretic", "loperamide": "antidiarrheal",
    "filgrastim": "g_csf", "rifampicin": "cyp3a4_inducer", "carbamazepine": "cyp3a4_inducer", "phenytoin": "cyp3a4_inducer",
    "ketoconazole": "cyp3a4_inhibitor", "itraconazole": "cyp3a4_inhibitor", "clarithromycin": "cyp3a4_inhibitor",
    "ursodiol": "ursodeoxycholic_acid", "ursodeoxycholic_acid": "ursodeoxycholic_acid", "ondansetron": "antiemetic",
    "paracetamol": "analgesic", "acetaminophen": "analgesic", "betamethasone_cream": "topical_corticosteroid",
}


def ask_one_comed(a: Asker, i: int, cur: Data) -> Data:
    k = f"co_medications[{i}]"
    c: Data = {}
    c["drug"] = a.value(f"{k}.drug", "Drug name", lambda r: _checked(Comedication, c, "drug", r.strip()),
                        current=cur.get("drug"), required=True)
    c["class"] = a.choice(f"{k}.class", "Class", vocab.COMED_CLASSES, current=cur.get("class"),
                          default=CLASS_HINTS.get(_norm(c["drug"]), "other"), required=True, show_inline=False)
    c["dose_mg"] = a.value(f"{k}.dose_mg", "Dose in mg per day", lambda r: _checked(Comedication, c, "dose_mg", _float(re.sub(r"\s*mg.*$", "", r.strip()))),
                           current=cur.get("dose_mg"))
    c["days_on"] = a.value(f"{k}.days_on", "Days on this drug", lambda r: _checked(Comedication, c, "days_on", _int(r, "d")),
                           current=cur.get("days_on"))
    return _drop_none(c)


def ask_comeds(a: Asker, d: Data) -> None:
    d["co_medications"] = _edit_list(a, "co_medications", "medicine",
                                     list(d.get("co_medications", [])),
                                     lambda c: f"{c['drug']} ({c.get('class', 'other')})" + (f" {fmt(c['dose_mg'])} mg" if c.get("dose_mg") else ""),
                                     lambda i, cur: ask_one_comed(a, i, cur), first_default=False,
                                     prompts=("Other medicines now (steroid, antihistamine, CYP3A4 drug...)?", "Another medicine?"))


def ask_response(a: Asker, d: Data) -> None:
    cur = d.get("response") or {}
    status = a.choice("response.status", "Tumour response", vocab.RESPONSE_STATUSES, current=cur.get("status"),
                      aliases=RESPONSE_ALIASES)
    if status is None:
        d["response"] = None
        return
    r: Data = {"status": status}
    if status == "progressive_disease":
        r["progression"] = a.choice("response.progression", "Progression", vocab.PROGRESSIONS, current=cur.get("progression"),
                                    check=lambda v: _check_only(Response, r, "progression", v))
    elif cur.get("progression") == "none":
        r["progression"] = "none"  # the only value allowed without progression; keep what the file said
    if status != "not_assessed" or cur.get("criteria"):
        r["criteria"] = a.choice("response.criteria", "Assessed by", vocab.CRITERIA, current=cur.get("criteria"))
    d["response"] = _drop_none(r)


def ask_one_history(a: Asker, i: int, cur: Data) -> Data:
    k = f"history[{i}]"
    h: Data = {}
    h["term"] = a.choice(f"{k}.term", "Earlier adverse event, CTCAE term", list(vocab.AE_TERMS),
                         current=cur.get("term"), required=True, aliases=TERM_ALIASES, show_inline=False,
                         hint="Tab completes, ? lists all", help=_term_help)
    h["grade"] = a.value(f"{k}.grade", "Its worst grade", lambda r: _checked(HistoryItem, h, "grade", _int(r)),
                         current=cur.get("grade"))
    h["dose_mg"] = a.value(f"{k}.dose_mg", "Dose it happened at, mg/day", lambda r: _checked(HistoryItem, h, "dose_mg", _int(r, "mg")),
                           current=cur.get("dose_mg"))
    h["outcome"] = a.choice(f"{k}.outcome", "Outcome", vocab.OUTCOMES, current=cur.get("outcome"))
    return _drop_none(h)


def ask_history(a: Asker, d: Data) -> None:
    d["history"] = _edit_list(a, "history", "earlier toxicity episode", list(d.get("history", [])),
                              lambda h: f"{h['term']}" + (f" grade {h['grade']}" if h.get("grade") else "")
                              + (f" at {h['dose_mg']} mg" if h.get("dose_mg") else "") + (f", {h['outcome']}" if h.get("outcome") else ""),
                              lambda i, cur: ask_one_history(a, i, cur), first_default=False,
                              prompts=("Earlier imatinib toxicity episodes to record?", "Another earlier episode?"))


SECTIONS: dict[str, tuple[str, Callable[[Asker, Data], None]]] = {
    "patient": ("Patient", ask_patient),
    "imatinib": ("Imatinib: status, dose, schedule", ask_imatinib),
    "disease": ("Indication, risk, mutation, day", ask_disease),
    "adverse_events": ("Adverse events", ask_adverse_events),
    "labs": ("Labs", ask_labs),
    "findings": ("Workup findings", ask_findings),
    "co_medications": ("Other medicines", ask_comeds),
    "response": ("Tumour response", ask_response),
    "history": ("Earlier toxicity episodes", ask_history),
}


def draft_yaml(d: Data) -> str:
    return yaml.safe_dump(_drop_none(d), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100).rstrip()


def finish(d: Data) -> PatientState:
    data = _drop_none(d)
    return state_from_data(data, Document(data, "<interview>"))


def interview(io: IO, start: PatientState | None = None) -> PatientState:
    """Ask for a patient state (or changes to `start`) and return it, validated like a file."""
    a = Asker(io)
    d: Data = state_to_data(start) if start is not None else {}
    if start is None:
        for name, (title, section) in SECTIONS.items():
            io.say(f"\n[bold]{title}[/bold]")
            section(a, d)
    names = list(SECTIONS)
    while True:
        io.say("\n[bold]The patient state so far[/bold]\n" + escape(draft_yaml(d)))
        io.say("Parts you can change: " + inline(names))
        pick = a.choice("review", "Change a part?", names, show_inline=False, hint="number or name",
                        meanings={n: t for n, (t, _) in SECTIONS.items()}, blank="Enter to get the advice")
        if pick is None:
            try:
                return finish(d)
            except InputError as exc:  # a cross-section rule (should be rare): say so and go back to the menu
                io.say(f"  [red]✗ {escape(str(exc))}[/red]")
                continue
        io.say(f"\n[bold]{SECTIONS[pick][0]}[/bold]")
        SECTIONS[pick][1](a, d)
        if pick == "adverse_events" and any(k not in d.get("labs", {}) for k in relevant_labs(d)):
            io.say("[dim]Labs relevant to these events can be added under 'labs'.[/dim]")


def state_yaml(state: PatientState) -> str:
    """The state as the YAML file `advisor evaluate` reads."""
    body = yaml.safe_dump(_drop_none(state_to_data(state)), sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return "# Patient state written by `advisor ask`; read it back with `advisor evaluate FILE`.\n" + body


def save_state(path: Any, state: PatientState) -> None:
    write_text_atomic(path, state_yaml(state))


def consult(io: IO, rulebook, *, start: PatientState | None = None, save: Path | None = None, show_trace: bool = False,
            default_name: str | None = None, show_advice: Callable[[Any], None], show_tree: Callable[[Any], None]) -> PatientState:
    """The whole consultation: interview, advice, trace on request, save on request.

    Rendering is the caller's (show_advice, show_tree); everything asked goes through io.
    """
    from .evaluate import evaluate

    state = interview(io, start)
    advice = evaluate(state, rulebook)
    show_advice(advice)
    a = Asker(io)
    if show_trace or a.yes("trace?", "Show the trace (which rules fired, and why)?", False):
        show_tree(advice)
    if save is not None:
        save_state(save, state)
        io.say(escape(f"Saved the state to {save}; `advisor evaluate {save}` gives the same advice."))
    elif a.yes("save?", "Save the state as a YAML file?", False):
        save_interactively(a, state, default_name or "patient-state.yaml")
    return state


def save_interactively(a: Asker, state: PatientState, default: str) -> None:
    """Ask for a file name until the state is written (a folder or a refused overwrite asks again)."""
    while True:
        name = a.value("save.path", "File name", str, default=default, required=True)
        path = Path(name).expanduser()
        if path.is_dir():
            a.io.say(f"  [red]✗ {escape(str(path))} is a folder; give a file name[/red]")
            continue
        if path.exists() and not a.yes("save.overwrite", f"{path} exists; overwrite it?", False):
            continue
        try:
            save_state(path, state)
        except (AdvisorError, OSError) as exc:
            reason = escape(f"could not write {path}: {getattr(exc, 'message', exc)}")
            a.io.say(f"  [red]✗ {reason}[/red]")
            continue
        a.io.say(escape(f"Saved to {path}; `advisor evaluate {path}` gives the same advice."))
        return
