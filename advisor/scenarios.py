"""Scenario files: a documented case replayed step by step, each step checked (scenarios.md)."""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import vocab
from .errors import AdvisorError, InputError, Location, WorkerError
from .kinds import expect_kind
from .rulebook import Rulebook
from .state import PatientState, state_from_data
from .yamlio import Document, expect_mapping, read_document

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
STEP_KEYS = ("id", "day", "summary", "state", "expect", "deviation")
EXPECT_KEYS = ("actions", "not", "dose_mg", "cites", "fired", "not_fired", "params")


@dataclass(frozen=True)
class Expect:
    actions: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()
    dose_mg: int | None = None
    cites: tuple[str, ...] = ()
    fired: tuple[str, ...] = ()  # rule ids that must fire (addition to the format)
    not_fired: tuple[str, ...] = ()  # rule ids that must not fire (addition to the format)
    params: tuple[tuple[str, Any], ...] = ()  # what the dosing decision's params must contain (addition)


@dataclass(frozen=True)
class Step:
    id: str
    day: int | None
    summary: str | None
    state: PatientState
    expect: Expect
    deviation: str | None
    line: int | None


@dataclass(frozen=True)
class Scenario:
    path: str
    case_id: str
    title: str
    evidence: str | None
    steps: tuple[Step, ...]
    case_line: int | None = None  # where case.id is written


@dataclass(frozen=True)
class StepResult:
    file: str
    case: str
    step: str
    result: str  # pass | fail | deviation
    problems: tuple[str, ...]
    recommended: tuple[str, ...]
    dose_mg: int | None = None
    deviation: str | None = None
    fired: tuple[str, ...] = ()
    line: int | None = None
    dosing: str | None = None  # the dosing decision's action (one of `recommended`)

    def to_json(self) -> dict[str, Any]:
        out = {"file": self.file, "case": self.case, "step": self.step, "result": self.result,
               "problems": list(self.problems), "recommended": list(self.recommended)}
        if self.dosing is not None:
            out["dosing"] = self.dosing
        if self.dose_mg is not None:
            out["dose_mg"] = self.dose_mg
        if self.deviation:
            out["deviation"] = self.deviation
        out["fired"] = list(self.fired)
        return out


@dataclass(frozen=True)
class LoadError:
    file: str
    line: int | None
    message: str
    internal: bool = False  # a bug in the advisor while replaying the file, not a problem with the file

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class BatchResult:
    files: int
    results: tuple[StepResult, ...]
    load_errors: tuple[LoadError, ...]
    coverage: dict[str, int] = field(default_factory=dict)  # rule id -> steps that fired it
    read: tuple[str, ...] = ()  # every scenario file the batch read (an output must not replace one)
    internal_errors: tuple[LoadError, ...] = ()  # bugs in the advisor: exit 3, never "your file is wrong"

    @property
    def summary(self) -> dict[str, int]:
        count = lambda r: sum(1 for x in self.results if x.result == r)  # noqa: E731
        return {"files": self.files, "steps": len(self.results), "passed": count("pass"), "failed": count("fail"),
                "deviations": count("deviation"), "errors": len(self.load_errors)}

    @property
    def exit_code(self) -> int:
        if self.internal_errors:
            return 3
        if self.load_errors:
            return 2
        return 1 if any(r.result == "fail" for r in self.results) else 0

    @property
    def never_fired(self) -> list[str]:
        return [k for k, n in self.coverage.items() if n == 0]

    @property
    def coverage_summary(self) -> dict[str, Any]:
        """How many rules at least one step fired, of how many (the coverage figure)."""
        total = len(self.coverage)
        fired = total - len(self.never_fired)
        return {"rules": total, "fired": fired, "percent": round(100 * fired / total, 1) if total else 0.0,
                "never_fired": self.never_fired}

    def to_json(self) -> dict[str, Any]:
        out = {"summary": self.summary, "results": [r.to_json() for r in self.results],
               "load_errors": [e.to_json() for e in self.load_errors]}
        if self.internal_errors:
            out["internal_errors"] = [e.to_json() for e in self.internal_errors]
        if self.coverage:
            out["coverage"] = self.coverage
            out["coverage_summary"] = self.coverage_summary
        return out


def deep_merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key; lists and scalars replace; a null removes the key.

    Removing matters because a state says what is known now: a lab value reported at an
    earlier step must not silently stand for today's (addition to scenarios.md).
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def _codes(value: Any, doc: Document, path: tuple, allowed, what: str, where: str) -> tuple[str, ...]:
    """A list of codes from a closed list (`where` says where to read the list when it is long)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"expected a list of {what}", doc.location(path))
    for i, code in enumerate(value):
        if code not in allowed:
            raise InputError(vocab.not_accepted(what[:-1] if what.endswith("s") else what, code, allowed, where), doc.location(path + (i,)))
    return tuple(value)


def _expect(raw: Any, doc: Document, path: tuple, rulebook: Rulebook) -> Expect:
    if raw is None:
        raise InputError("each step needs an 'expect' mapping (what the treating team did)", doc.location(path[:-1]))
    if not isinstance(raw, dict):
        raise InputError("'expect' must be a mapping", doc.location(path))
    for k in raw:
        if k not in EXPECT_KEYS:
            raise InputError(f"unknown key '{k}'{vocab.suggest(k, EXPECT_KEYS)}; expected one of: {', '.join(EXPECT_KEYS)}", doc.location(path + (k,)))
    codes = [c for c in vocab.ACTIONS]
    dose = raw.get("dose_mg")
    if dose is not None and (not isinstance(dose, int) or isinstance(dose, bool) or not 0 < dose <= 1600):
        raise InputError(f"dose_mg must be a dose in mg per day, got {dose!r}", doc.location(path + ("dose_mg",)))
    rule_ids = [r.id for r in rulebook.rules]
    actions_at, rules_at = "`advisor schema scenario` (the enum of expect.actions)", "`advisor rules list`"
    evidence_at = f"the evidence section of the rulebook ({rulebook.source})"
    return Expect(
        actions=_codes(raw.get("actions"), doc, path + ("actions",), codes, "action codes", actions_at),
        not_=_codes(raw.get("not"), doc, path + ("not",), codes, "action codes", actions_at),
        dose_mg=dose,
        cites=_codes(raw.get("cites"), doc, path + ("cites",), list(rulebook.evidence), "evidence ids", evidence_at),
        fired=_codes(raw.get("fired"), doc, path + ("fired",), rule_ids, "rule ids", rules_at),
        not_fired=_codes(raw.get("not_fired"), doc, path + ("not_fired",), rule_ids, "rule ids", rules_at),
        params=_params(raw.get("params"), doc, path + ("params",)),
    )


def _params(raw: Any, doc: Document, path: tuple) -> tuple[tuple[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise InputError("'params' must be a mapping of the dosing decision's parameters (e.g. {drug: avapritinib})", doc.location(path))
    known = sorted({p for a in vocab.ACTIONS.values() if a.kind == "dosing" for p in a.params})
    for k in raw:
        if k not in known:
            raise InputError(f"unknown dosing parameter '{k}'{vocab.suggest(k, known)}; expected one of: {', '.join(known)}", doc.location(path + (k,)))
    return tuple(sorted(raw.items()))


def load_scenario(path: str | os.PathLike, rulebook: Rulebook) -> Scenario:
    doc = read_document(path)
    data = expect_mapping(doc, "a scenario with case, patient and steps")
    if data.get("resourceType") == "Bundle":
        return _bundle_scenario(doc)
    expect_kind(data, "scenario", doc.source)
    for k in data:
        if k not in ("case", "patient", "steps"):
            raise InputError(f"unknown key '{k}'{vocab.suggest(k, ('case', 'patient', 'steps'))}; expected case, patient, steps", doc.location((k,)))
    case = data.get("case")
    if not isinstance(case, dict) or not isinstance(case.get("id"), str):
        raise InputError("'case' must be a mapping with at least an id", doc.location(("case",)))
    for k in case:
        if k not in ("id", "title", "evidence"):
            raise InputError(f"unknown key '{k}' in case; expected id, title, evidence", doc.location(("case", k)))
    evidence = case.get("evidence")
    if evidence is not None and not isinstance(evidence, str):
        raise InputError(f"case.evidence must be one evidence id (text), got {type(evidence).__name__} {evidence!r}", doc.location(("case", "evidence")))
    if evidence is not None and evidence not in rulebook.evidence:
        raise InputError(vocab.not_accepted("evidence id", evidence, rulebook.evidence, f"the evidence section of the rulebook ({rulebook.source})"),
                         doc.location(("case", "evidence")))
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise InputError("'steps' must be a non-empty list", doc.location(("steps",)))
    patient = data.get("patient")
    current: dict[str, Any] = {"patient": patient} if patient is not None else {}
    steps: list[Step] = []
    seen: set[str] = set()
    for i, raw in enumerate(steps_raw):
        path = ("steps", i)
        if not isinstance(raw, dict):
            raise InputError("each step must be a mapping with id, state and expect", doc.location(path))
        for k in raw:
            if k not in STEP_KEYS:
                raise InputError(f"unknown key '{k}'{vocab.suggest(k, STEP_KEYS)}; expected one of: {', '.join(STEP_KEYS)}", doc.location(path + (k,)))
        sid = raw.get("id")
        if not isinstance(sid, str) or not sid:
            raise InputError("each step needs an id", doc.location(path))
        if sid in seen:
            raise InputError(f"duplicate step id '{sid}'", doc.location(path + ("id",)))
        seen.add(sid)
        st = raw.get("state") or {}
        if not isinstance(st, dict):
            raise InputError("'state' must be a mapping (merged over the previous step's state)", doc.location(path + ("state",)))
        current = deep_merge(current, st)
        day = raw.get("day")
        if day is not None:
            if not isinstance(day, int) or isinstance(day, bool) or day < 0:
                raise InputError(f"day must be a whole number of days, got {day!r}", doc.location(path + ("day",)))
            current["day"] = day
        state = state_from_data(current, doc, path + ("state",))
        deviation = raw.get("deviation")
        if deviation is not None and (not isinstance(deviation, str) or not deviation.strip()):
            raise InputError("deviation must say, in words, why the team departed from the rule", doc.location(path + ("deviation",)))
        steps.append(Step(sid, day, raw.get("summary"), state, _expect(raw.get("expect"), doc, path + ("expect",), rulebook),
                          deviation, doc.line_of(path)))
    return Scenario(doc.source, case["id"], str(case.get("title", case["id"])), evidence, tuple(steps), doc.line_of(("case", "id")))


def _bundle_scenario(doc: Document) -> Scenario:
    """A FHIR Bundle in a batch: one step, evaluated and listed, with nothing to check."""
    from .readers import read_doc

    reading = read_doc(doc)
    step = Step("bundle", reading.state.day, "FHIR Bundle (no expectations)", reading.state, Expect(), None, 1)
    return Scenario(doc.source, f"fhir:{doc.source}", f"FHIR Bundle of {reading.patient_id or 'a patient'}", None, (step,))


def check_step(step: Step, advice) -> tuple[str, ...]:
    """What differs between the advice and the step's expectation (empty when it matches)."""
    ex = step.expect
    actions, cited, fired = set(advice.actions()), advice.cited(), set(advice.fired_rules())
    dosing_params = dict(advice.dosing.params)
    if _switch_drug(advice.dosing) == "sunitinib":
        # switch_to_sunitinib means switch_therapy {drug: sunitinib}: either spelling meets either expectation
        actions |= {"switch_to_sunitinib", "switch_therapy"}
        dosing_params.setdefault("drug", "sunitinib")
    problems = [f"expected {a}, not recommended" for a in ex.actions if a not in actions]
    problems += [f"{a} recommended but forbidden" for a in ex.not_ if a in actions]
    dose = advice.dosing.params.get("dose_mg")
    if ex.dose_mg is not None and dose != ex.dose_mg:
        given = f"dose {dose} mg" if dose is not None else "no dose"
        problems.append(f"{given}, expected {ex.dose_mg} mg ({advice.dosing.action})")
    problems += [f"evidence {e} not cited" for e in ex.cites if e not in cited]
    problems += [f"rule {r} did not fire" for r in ex.fired if r not in fired]
    problems += [f"rule {r} fired but should not" for r in ex.not_fired if r in fired]
    problems += [f"dosing parameter {k} is {dosing_params.get(k)!r}, expected {v!r} ({advice.dosing.action})"
                 for k, v in ex.params if dosing_params.get(k) != v]
    return tuple(problems)


def _walk(folder: Path, errors: list[LoadError]) -> list[Path]:
    """Scenario files under folder, sorted; a subfolder that cannot be read is an error, not skipped."""
    def unreadable(exc: OSError) -> None:
        errors.append(LoadError(str(exc.filename or folder), None,
                                f"{exc.filename or folder}: cannot read this folder ({exc.strerror or exc}); its scenarios were not run"))

    found = [Path(top) / name for top, _dirs, names in os.walk(folder, onerror=unreadable) for name in names]
    return sorted(f for f in found if f.suffix.lower() in SCENARIO_SUFFIXES and f.is_file())


def _switch_drug(dosing) -> str | None:
    if dosing.action == "switch_to_sunitinib":
        return "sunitinib"
    return dosing.params.get("drug") if dosing.action == "switch_therapy" else None


def find_scenario_files(paths: list[str | os.PathLike]) -> tuple[list[Path], list[LoadError]]:
    files: list[Path] = []
    errors: list[LoadError] = []
    for p in map(Path, paths):
        if p.is_dir():
            before = len(errors)
            found = _walk(p, errors)
            if not found and len(errors) == before:
                errors.append(LoadError(str(p), None, "no scenario files (.yaml, .yml, .json) in this folder"))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            errors.append(LoadError(str(p), None, "no such file or folder"))
    return files, errors


def run_scenario(scenario: Scenario, rulebook: Rulebook) -> list[StepResult]:
    from .evaluate import evaluate

    out = []
    for step in scenario.steps:
        advice = evaluate(step.state, rulebook)
        problems = check_step(step, advice)
        result = "fail" if problems else ("deviation" if step.deviation else "pass")
        out.append(StepResult(scenario.path, scenario.case_id, step.id, result, problems, tuple(advice.actions()),
                              advice.dosing.params.get("dose_mg"), step.deviation, tuple(dict.fromkeys(advice.fired_rules())), step.line,
                              advice.dosing.action))
    return out


Outcome = tuple[tuple[str, int | None] | None, list[StepResult], LoadError | None]  # (case id, its line), steps, error


def _load_and_run(f: Path, rulebook: Rulebook) -> Outcome:
    try:
        scenario = load_scenario(f, rulebook)
        return (scenario.case_id, scenario.case_line), run_scenario(scenario, rulebook), None
    except AdvisorError as exc:
        return None, [], LoadError(str(f), exc.line, str(exc))
    except Exception as exc:  # a bug must not stop the other files of a long batch
        return None, [], LoadError(str(f), None, f"{f}: internal error (a bug in the advisor, not in this file): "
                                   f"{type(exc).__name__}: {exc}", internal=True)


_WORKER_RULEBOOK: list[Rulebook] = []


def _worker_init(rulebook: Rulebook) -> None:
    import signal

    from . import engine

    # Ctrl-C reaches the whole process group; the parent alone answers it (one line, exit 130)
    # and stops the workers, which would otherwise each print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    engine._CACHE.clear()  # a forked child compiles its own durable-rules ruleset
    _WORKER_RULEBOOK[:] = [rulebook]


def _worker_run(f: Path) -> Outcome:
    return _load_and_run(f, _WORKER_RULEBOOK[0])


def _worker_run_chunk(files: list[Path]) -> list[Outcome]:
    return [_worker_run(f) for f in files]


def max_workers() -> int:
    """More processes than this only wait for the processors (and each holds its own engine)."""
    return (os.cpu_count() or 1) * 4


def _outcomes(files: list[Path], rulebook: Rulebook, workers: int) -> Iterator[Outcome]:
    """Each file's outcome, in file order; with workers > 1 from a process pool.

    concurrent.futures notices a worker that died (killed by a signal, the OOM killer) and
    fails the pending results at once, where multiprocessing.Pool would wait forever.
    """
    if workers <= 1 or len(files) <= 1:
        yield from (_load_and_run(f, rulebook) for f in files)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    n = min(workers, len(files))
    before, ours = set(mp.active_children()), set()
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_worker_init, initargs=(rulebook,))
    size = max(1, min(16, len(files) // (n * 8)))
    try:
        # Not Executor.map: on Ctrl-C it cancels its futures from this thread while the pool's
        # manager thread fails them for the stopped workers, and Python 3.11 then prints an
        # InvalidStateError traceback. Here only the manager thread ever settles a future.
        with _sigint_deferred():  # the workers start here (at the first submit) and inherit it
            chunks = [pool.submit(_worker_run_chunk, files[i:i + size]) for i in range(0, len(files), size)]
            ours = set(mp.active_children()) - before
        for chunk in chunks:
            yield from chunk.result()
    except BrokenProcessPool:
        raise WorkerError(f"a batch worker process died (killed by a signal or out of memory) while replaying "
                          f"{len(files)} files with --workers {workers}; nothing was reported; rerun with --workers 1") from None
    except KeyboardInterrupt:
        for p in ours:  # they ignore SIGINT and would finish their chunk before the advisor could exit
            p.terminate()
        for p in ours:
            p.join(5)
        # let the pool's manager thread settle before the interpreter exits: in Python 3.11 its
        # exit hook can otherwise write to a pipe the thread is closing (an EBADF traceback)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """While worker processes start, a Ctrl-C is noted, not raised: a worker forked now holds
    this handler (not Python's KeyboardInterrupt) until it ignores SIGINT itself, and the
    parent raises KeyboardInterrupt once the workers are started. Outside the main thread,
    signals cannot be handled: nothing to do."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def run_batch(paths: list[str | os.PathLike], rulebook: Rulebook, progress=None, workers: int = 1) -> BatchResult:
    """Load and replay every scenario file; a file that does not load is reported, not fatal.

    With workers > 1 the files are replayed in a process pool (one durable-rules host per
    process); results come back in file order, identical to one worker.
    """
    if not 1 <= workers <= max_workers():
        raise InputError(f"--workers {workers} is outside 1-{max_workers()} (4 per processor, {os.cpu_count() or 1} processors)")
    files, errors = find_scenario_files(paths)
    results: list[StepResult] = []
    internal: list[LoadError] = []
    cases: dict[str, str] = {}
    with contextlib.closing(_outcomes(files, rulebook, workers)) as outcomes:  # closing stops the pool
        for f, (case, steps, error) in zip(files, outcomes):
            case_id, line = case or (None, None)
            if error is not None:
                (internal if error.internal else errors).append(error)
            elif case_id in cases:
                errors.append(LoadError(str(f), line, str(InputError(f"case id '{case_id}' is already used by {cases[case_id]}",
                                                                     Location(str(f), line, "case.id")))))
            else:
                cases[str(case_id)] = str(f)
                results.extend(steps)
            if progress:
                progress(f, len(files))
    coverage: dict[str, int] = {r.id: 0 for r in rulebook.rules}
    for r in results:
        for rule_id in r.fired:
            if rule_id in coverage:
                coverage[rule_id] += 1
    return BatchResult(len(files), tuple(results), tuple(errors), coverage, tuple(map(str, files)), tuple(internal))
