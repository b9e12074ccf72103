"""`advisor ask`: the interview driven by scripted answers, and the command around it."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import DISCLAIMER
from advisor.ask import fmt, interview, lab_answer
from advisor.cli import app
from advisor.evaluate import evaluate
from advisor.scenarios import load_scenario
from advisor.state import PatientState, load_state, state_to_data
from advisor.units import ANALYTES

from conftest import ROOT, state_of

ENV = {"ADVISOR_ASK_ALLOW_NON_TTY": "1"}


class ScriptedIO:
    """Answers in order, like a user typing; records every question key and everything said."""

    def __init__(self, answers: Sequence[str]):
        self.answers = list(answers)
        self.keys: list[str] = []
        self.said: list[str] = []

    def ask(self, prompt: str, default: str | None = None, *, key: str = "", choices: Sequence[str] = ()) -> str:
        self.keys.append(key)
        if not self.answers:
            raise AssertionError(f"script ran out at {key!r}: {prompt}")
        return self.answers.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.said)


class KeyedIO(ScriptedIO):
    """Answers by question key from an oracle; the answers given become a replayable script."""

    def __init__(self, oracle: Callable[[str], str]):
        super().__init__([])
        self.oracle = oracle
        self.script: list[str] = []

    def ask(self, prompt: str, default: str | None = None, *, key: str = "", choices: Sequence[str] = ()) -> str:
        self.keys.append(key)
        answer = self.oracle(key)
        self.script.append(answer)
        return answer


def _lookup(data: dict, key: str):
    node = data
    for name, index in re.findall(r"(\w+)(?:\[(\d+)\])?", key):
        node = node.get(name) if isinstance(node, dict) else None
        if index and node is not None:
            node = node[int(index)] if int(index) < len(node) else None
    return node


def oracle_for(state: PatientState) -> Callable[[str], str]:
    """What a clinician would type, question by question, to describe `state`."""
    data = state_to_data(state)
    labs = data.get("labs", {})
    asked: set[str] = set()

    def answer(key: str) -> str:
        if key in ("review", "trace?", "save?"):
            return "" if key == "review" else "n"
        if key == "labs?":
            return "y" if labs else "n"
        if key == "labs.other":
            rest = [k for k in labs if k not in asked]
            return rest[0] if rest else ""
        m = re.fullmatch(r"labs\.(\w+)\.(value|uln|lln|baseline)", key)
        if m:
            name, field = m.groups()
            if field == "value":
                asked.add(name)
                return lab_answer(name, labs[name]) if name in labs else ""
            return fmt(labs[name][field]) if labs.get(name, {}).get(field) is not None else ""
        m = re.fullmatch(r"(\w+)\[(\d+)\]\?", key)
        if m:
            return "y" if len(data.get(m[1], [])) > int(m[2]) else "n"
        value = _lookup(data, key)
        return "" if value in (None, []) else fmt(value)

    return answer


def script_for(state: PatientState) -> list[str]:
    """The answers, in order, that make the interview rebuild `state`."""
    io = KeyedIO(oracle_for(state))
    interview(io)
    return io.script


def _normal(state: PatientState) -> dict:
    """State data with lab units made explicit (the interview always records the unit)."""
    data = state_to_data(state)
    for key, lab in data.get("labs", {}).items():
        lab.setdefault("unit", ANALYTES[key].canonical)
    return data


def _first_steps() -> list:
    files = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "examples" / "example-scenario.yaml"]
    return [pytest.param(f, id=f.stem) for f in files]


def _advice_json(state: PatientState, rulebook) -> dict:
    return evaluate(state, rulebook).to_json(with_trace=False)


@pytest.mark.parametrize("path", _first_steps())
def test_first_decision_point_of_each_case(path: Path, rulebook):
    """Answering the questions for a scenario's first step gives that step's advice."""
    target = load_scenario(path, rulebook).steps[0].state
    io = ScriptedIO(script_for(target))
    got = interview(io)
    assert not io.answers, "the interview asked fewer questions than the script answers"
    assert _normal(got) == _normal(target)
    assert _advice_json(got, rulebook) == _advice_json(target, rulebook)


@pytest.mark.parametrize("path", _first_steps())
def test_cli_session_saves_a_file_that_evaluates_the_same(path: Path, rulebook, tmp_path):
    """The whole command, fed on stdin: same advice shown, saved YAML reads back to the same advice."""
    target = load_scenario(path, rulebook).steps[0].state
    out = tmp_path / "state.yaml"
    answers = script_for(target) + ["n"]  # no trace
    result = CliRunner().invoke(app, ["ask", "--save", str(out)], input="\n".join(answers) + "\n", env=ENV)
    assert result.exit_code == 0, result.output
    advice = evaluate(target, rulebook)
    assert advice.dosing.action in result.output
    assert "Decision support for a clinician" in result.output
    assert _advice_json(load_state(out), rulebook) == advice.to_json(with_trace=False)


def test_example_state_files_round_trip(rulebook):
    """Every example state can be typed in and comes back the same."""
    for path in sorted((ROOT / "examples").glob("neutropenia-*.yaml")):
        target = load_state(path)
        assert _normal(interview(ScriptedIO(script_for(target)))) == _normal(target), path


RASH_VISIT = ["", "", "",  # patient: skip all
              "1", "400", "",  # taking, 400 mg, daily
              "metastatic", "", "",  # indication, mutation, day
              "y", "rash", "2", "new", "", "n", "n",  # one AE
              "n",  # no labs
              "", "n", "", "n", ""]  # findings, medicines, response, history, review


def test_rash_only_visit_asks_no_lab_values():
    """A rash-only visit offers labs as an opt-in, not a panel of lab questions."""
    io = ScriptedIO(RASH_VISIT)
    state = interview(io)
    assert not [k for k in io.keys if k.startswith("labs.")]
    assert "labs?" in io.keys
    assert state.adverse_events[0].term == "rash_maculopapular"
    assert state.labs == {}


def test_hepatic_event_offers_the_liver_panel():
    """An ALT rise offers ALT, AST, bilirubin and ALP, each with its reference limits."""
    answers = ["", "", "", "taking", "400", "", "", "", "",
               "y", "alt increased", "3", "", "", "n", "n",
               "393 IU/L", "", "",  # alt: value, uln (default), baseline
               "", "", "", "",  # ast, bilirubin, alp skipped; no other lab
               "", "n", "", "n", ""]
    io = ScriptedIO(answers)
    state = interview(io)
    offered = [k for k in io.keys if k.endswith(".value")]
    assert offered == ["labs.alt.value", "labs.ast.value", "labs.bilirubin_total.value", "labs.alp.value"]
    assert state.labs["alt"].value == 393 and state.labs["alt"].unit == "IU/L"
    assert evaluate(state, __import__("advisor.evaluate").evaluate.get_rulebook()).derived[0].term == "alt_increased"


def test_mistyped_values_are_explained_and_asked_again():
    """Off-ladder dose, unknown term, grade beyond CTCAE, impossible lab: each is explained, then fixed."""
    answers = ["abc", "55", "", "",
               "takng", "taking", "350", "400", "every other day", "daily",
               "", "", "",
               "y", "rahs", "rash", "4", "3", "getting worse", "worsening", "", "n", "n",
               "y", "anc", "800", "800 /uL", "", "platelets", "90 mg", "90", "", "",
               "", "n", "", "n", ""]
    io = ScriptedIO(answers)
    state = interview(io)
    said = io.text
    assert "expected a whole number, got 'abc'" in said
    assert "350 mg is not on the imatinib dose ladder" in said
    assert "every_other_day is only used for 100 mg" in said
    assert "did you mean 'rash_maculopapular'" in said
    assert "if it was in /uL, type '800 /uL'" in said
    assert "CTCAE v5 grades rash_maculopapular from 1 to 3" in said
    assert "is outside what is physiologically possible" in said
    assert "unit 'mg' is not accepted for platelets" in said
    assert state.imatinib.dose_mg == 400 and state.imatinib.status == "taking"
    assert state.adverse_events[0].grade == 3 and state.adverse_events[0].trend == "worsening"
    assert state.labs["anc"].unit == "/uL" and state.labs["platelets"].value == 90


def test_question_mark_lists_choices_and_terms():
    """'?' lists the terms grouped by area, then the question is asked again."""
    answers = ["", "", "", "", "", "", "", "?", "", "", "y", "?", "18", "3", "", "", "n", "n"]
    io = ScriptedIO(answers + ["n", "", "n", "", "n", ""])
    state = interview(io)
    assert "kit_exon_11" in io.text and "musculoskeletal" in io.text
    assert state.adverse_events[0].term == list(__import__("advisor.vocab").vocab.AE_TERMS)[17]


def test_from_state_asks_only_what_to_change():
    """--from: the review menu first; only the chosen part is asked, with current values as defaults."""
    start = load_state(ROOT / "examples" / "neutropenia-grade3.yaml")
    io = ScriptedIO(["imatinib", "", "300", "", ""])
    state = interview(io, start)
    assert io.keys == ["review", "imatinib.status", "imatinib.dose_mg", "imatinib.schedule", "review"]
    assert state.imatinib.dose_mg == 300
    assert state.model_copy(update={"imatinib": start.imatinib}) == start


def test_from_state_can_drop_an_event_and_clear_a_value():
    """Existing list items can be kept, changed or dropped; '-' clears an optional value."""
    start = state_of({"imatinib": {"status": "taking", "dose_mg": 400}, "indication": "adjuvant", "risk": "high",
                      "adverse_events": [{"term": "rash_maculopapular", "grade": 2}, {"term": "pruritus", "grade": 1}]})
    io = ScriptedIO(["adverse_events", "keep", "drop", "n", "disease", "-", "", "", ""])
    state = interview(io, start)
    assert [ae.term for ae in state.adverse_events] == ["rash_maculopapular"]
    assert state.indication is None and state.risk is None


def test_not_a_terminal_reads_nothing_and_exits_2(monkeypatch):
    """Without a TTY (and without the opt-in), ask refuses to read and says why."""
    monkeypatch.delenv("ADVISOR_ASK_ALLOW_NON_TTY", raising=False)
    result = CliRunner().invoke(app, ["ask"], input="taking\n")
    assert result.exit_code == 2
    assert "stdin is not a terminal" in result.output
    assert "Imatinib status" not in result.output


def test_input_ending_early_exits_2_without_a_file(tmp_path):
    """A script that runs out mid-interview is an error, and --save writes nothing."""
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["ask", "--save", str(out)], input="55\nmale\n", env=ENV)
    assert result.exit_code == 2
    assert "nothing was saved" in result.output
    assert not out.exists()


def test_ctrl_c_leaves_cleanly_without_a_file(tmp_path, monkeypatch):
    """Ctrl-C: a short message, exit 130, no traceback, no partial file."""
    calls = iter(["55", "male"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(calls)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(builtins, "input", fake_input)
    out = tmp_path / "s.yaml"
    result = CliRunner().invoke(app, ["ask", "--save", str(out)], env=ENV)
    assert result.exit_code == 130
    assert "interrupted: nothing was saved" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.iterdir())


def test_save_when_asked_and_show_trace(tmp_path, rulebook):
    """Without --save the session offers the trace and a file name, and writes the file."""
    out = tmp_path / "visit.yaml"
    answers = RASH_VISIT + ["y", "y", str(out)]
    result = CliRunner().invoke(app, ["ask"], input="\n".join(answers) + "\n", env=ENV)
    assert result.exit_code == 0, result.output
    assert "rules fired (in order)" in result.output
    assert DISCLAIMER.split(":")[0] in result.output
    saved = load_state(out)
    assert saved.adverse_events[0].term == "rash_maculopapular"
    assert "advisor evaluate" in out.read_text()


def test_from_file_errors_exit_2(tmp_path):
    """A broken --from file is reported like `advisor evaluate` does, before any question."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("imatinib: {status: taking, dose_mg: 350}\n")
    result = CliRunner().invoke(app, ["ask", "--from", str(bad)], input="", env=ENV)
    assert result.exit_code == 2
    assert "350 mg is not on the imatinib dose ladder" in result.output


def test_save_into_missing_folder_fails_before_asking(tmp_path):
    """--save into a folder that does not exist is caught before the interview, not after it."""
    result = CliRunner().invoke(app, ["ask", "--save", str(tmp_path / "nope" / "s.yaml")], input="", env=ENV)
    assert result.exit_code == 2
    assert "does not exist" in result.output
