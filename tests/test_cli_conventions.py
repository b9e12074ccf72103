"""The command line behaves as Unix tools do (issue 13, "CLI conventions").

Shell completion, -h, STATE / FILE metavars, flags shown as flags, output to a pipe not cut at
80 columns, a failed step that says what was recommended, enum errors that list the values,
batch load errors with their line, one quiet line on Ctrl-C with --workers, the Markdown
report with '<' as '<', and `explain` naming facts by what they are.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
import typer.main
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from advisor.cli import app
from advisor.evaluate import evaluate_file, get_rulebook
from advisor.explain import explain
from advisor.state import load_state

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "neutropenia-grade3.yaml"
SCENARIOS = ROOT / "scenarios"
ADVISOR = str(Path(sys.executable).with_name("advisor"))
WAIT = 120  # seconds a child may take before the test gives up on it (a hang, not a speed check)


def cli(*args: str, env: dict | None = None):
    res = CliRunner().invoke(app, [str(a) for a in args], prog_name="advisor", env={"COLUMNS": "400", **(env or {})})
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return {**env, **extra}


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the CLI, as the words that reach it."""
    out: list[tuple[str, ...]] = [()]

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            out.append(path + (name,))
            walk(sub, path + (name,))

    walk(typer.main.get_command(app), ())
    return out


COMMANDS = command_paths()


# -- shell completion, -h, usage ----------------------------------------------------------

def test_shell_completion_is_offered_and_completes_commands():
    help_text = cli("--help").output
    assert "--install-completion" in help_text and "--show-completion" in help_text
    res = cli(env={"_ADVISOR_COMPLETE": "complete_bash", "COMP_WORDS": "advisor rules li", "COMP_CWORD": "2"})
    assert res.exit_code == 0
    assert set(res.output.split()) == {"list", "lint"}


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "advisor")
def test_dash_h_is_help_everywhere(path):
    short, long = cli(*path, "-h"), cli(*path, "--help")
    assert short.exit_code == 0 and long.exit_code == 0, short.output
    assert short.output == long.output and "Usage: advisor" in short.output


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "advisor")
def test_help_names_values_by_capital_metavars_and_shows_flags_as_flags(path):
    text = cli(*path, "--help").output
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "<" not in usage, usage
    for word in usage.split("[OPTIONS]")[-1].replace("[", " ").replace("]", " ").replace("...", " ").split():
        assert word == word.upper() or word in path, f"argument {word!r} in {usage!r}"
    # no Python type names beside options or arguments (<bool>, <path>, <str>, <int>)
    assert not re.search(r"<(bool|path|str|int|float|list\[str\])>", text), text
    assert " / --no-" not in text


def test_usage_lines_read_as_documented():
    assert "advisor evaluate [OPTIONS] STATE" in cli("evaluate", "-h").output
    assert "advisor explain [OPTIONS] STATE RULE_ID" in cli("explain", "-h").output
    assert re.search(r"--rulebook\s+FILE", cli("batch", "-h").output)
    assert "Missing argument 'STATE'" in cli("evaluate").output


# -- output to a pipe ---------------------------------------------------------------------

def long_id_scenario(folder: Path) -> tuple[Path, str, str]:
    data = yaml.safe_load((SCENARIOS / "hepatitis-steroid.yaml").read_text())
    case_id = "case-" + "x" * 70 + "-end"
    step_id = "step-" + "y" * 80 + "-end"
    data["case"]["id"] = case_id
    data["steps"] = data["steps"][:1]
    data["steps"][0]["id"] = step_id
    path = folder / "long-ids.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, case_id, step_id


def test_output_to_a_pipe_keeps_ids_and_text_whole(tmp_path):
    path, case_id, step_id = long_id_scenario(tmp_path)
    out = subprocess.run([ADVISOR, "batch", str(path)], capture_output=True, text=True, env=child_env(), timeout=WAIT).stdout
    assert case_id in out and step_id in out, out
    assert "…" not in out
    rules = subprocess.run([ADVISOR, "rules", "list"], capture_output=True, text=True, env=child_env(), timeout=WAIT).stdout
    assert all(rule.id in rules for rule in get_rulebook().rules)
    advice = evaluate_file(EXAMPLE)
    shown = subprocess.run([ADVISOR, "evaluate", str(EXAMPLE)], capture_output=True, text=True, env=child_env(), timeout=WAIT).stdout
    assert advice.dosing.rationale in shown  # on one line, not wrapped at 80 columns


def test_columns_still_sets_the_width(tmp_path):
    path, _, _ = long_id_scenario(tmp_path)
    out = subprocess.run([ADVISOR, "batch", str(path)], capture_output=True, text=True, env=child_env(COLUMNS="70"), timeout=WAIT).stdout
    assert out and max(len(line) for line in out.splitlines()) <= 70


# -- batch: a failed step, load errors ----------------------------------------------------

def test_a_failed_step_shows_what_was_recommended(tmp_path):
    advice = evaluate_file(EXAMPLE)
    wrong = next(a for a in ("reduce_dose", "continue_imatinib") if a != advice.dosing.action)
    scenario = {"case": {"id": "wrong-expectation"},
                "steps": [{"id": "s1", "state": yaml.safe_load(EXAMPLE.read_text()), "expect": {"actions": [wrong]}}]}
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(scenario))
    junit = tmp_path / "out.xml"
    res = cli("batch", path, "--junit", junit)
    assert res.exit_code == 1
    row = next(line for line in res.output.splitlines() if " s1 " in line)
    dose = advice.dosing.params.get("dose_mg")
    assert f"recommended {advice.dosing.action}" + (f" {dose} mg/d" if dose else "") in row, row
    (result,) = json.loads(cli("batch", path, "--json").output)["results"]
    assert result["dosing"] == advice.dosing.action
    assert f"recommended {advice.dosing.action}" in junit.read_text()


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_batch_json_load_errors_carry_their_line(tmp_path):
    state = yaml.safe_load(EXAMPLE.read_text())
    state["indication"] = "metastatc"
    state["imatinib"]["status"] = "takin"
    yaml_file = tmp_path / "two-problems.yaml"
    yaml_file.write_text(yaml.safe_dump({"case": {"id": "a"}, "steps": [{"id": "s", "state": state, "expect": {}}]}, sort_keys=False))
    json_file = tmp_path / "bad-action.json"
    json_file.write_text(json.dumps({"case": {"id": "b"}, "steps": [
        {"id": "s", "state": yaml.safe_load(EXAMPLE.read_text()), "expect": {"actions": ["keep_going"]}}]}, indent=2))
    errors = {Path(e["file"]).name: e for e in json.loads(cli("batch", "--json", tmp_path).output)["load_errors"]}
    first = min(line_of(yaml_file.read_text(), "metastatc"), line_of(yaml_file.read_text(), "takin"))
    assert errors["two-problems.yaml"]["line"] == first
    assert errors["bad-action.json"]["line"] == line_of(json_file.read_text(), "keep_going")


# -- enum errors --------------------------------------------------------------------------

def schema_enums(kind: str) -> dict[str, list[str]]:
    """Every enum of a file kind's JSON Schema, by the property that holds it."""
    found: dict[str, list[str]] = {}

    def walk(node, name=""):
        if isinstance(node, dict):
            if "enum" in node and name:
                found.setdefault(name, list(node["enum"]))
            for k, v in node.items():
                walk(v, k if k not in ("items", "anyOf", "allOf", "oneOf", "$defs", "properties") and not k[0].isupper() else name)
        elif isinstance(node, list):
            for v in node:
                walk(v, name)

    walk(json.loads(cli("schema", kind).output))
    return found


STATE_ENUMS = [  # (key path as written in a state, property name in the schema)
    (("patient", "sex"), "sex"), (("indication",), "indication"), (("risk",), "risk"), (("mutation",), "mutation"),
    (("imatinib", "status"), "status"), (("imatinib", "schedule"), "schedule"),
    (("adverse_events", 0, "term"), "term"), (("adverse_events", 0, "trend"), "trend"),
    (("adverse_events", 0, "features", 0), "features"), (("findings", 0), "findings"),
    (("co_medications", 0, "class"), "class"), (("response", "criteria"), "criteria"),
    (("response", "progression"), "progression"), (("history", 0, "outcome"), "outcome"),
    (("history", 0, "features", 0), "features"), (("history", 0, "term"), "term"),
]


def near_miss(value: str) -> str:
    return value[:-1] + ("x" if value[-1] != "x" else "y")


def lists_or_points(message: str, values: list[str], where: str) -> None:
    """Either every accepted value is in the message, or the nearest ones and where to read the list."""
    if all(v in message for v in values):
        return
    assert "did you mean" in message and where in message, message


@pytest.mark.parametrize("path,prop", STATE_ENUMS, ids=lambda x: ".".join(map(str, x)) if isinstance(x, tuple) else x)
def test_state_enum_errors_list_the_values(tmp_path, path, prop):
    values = schema_enums("state")[prop]
    state = yaml.safe_load(EXAMPLE.read_text())
    state.update(adverse_events=[{"term": "diarrhea", "grade": 1, "trend": "new", "features": ["fever"]}],
                 findings=["no_alternative_cause"], co_medications=[{"drug": "x", "class": "other"}],
                 response={"status": "stable_disease", "criteria": "choi", "progression": "none"},
                 history=[{"term": "diarrhea", "grade": 1, "outcome": "resolved", "features": ["fever"]}])
    node = state
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = near_miss(values[len(values) // 2])
    f = tmp_path / "state.yaml"
    f.write_text(yaml.safe_dump(state))
    res = cli("evaluate", f)
    assert res.exit_code == 2
    lists_or_points(res.output, values, "`advisor schema state`")


SCENARIO_CODES = [("actions", "`advisor schema scenario`"), ("not", "`advisor schema scenario`"),
                  ("fired", "`advisor rules list`"), ("not_fired", "`advisor rules list`"), ("cites", "evidence section")]


@pytest.mark.parametrize("key,where", SCENARIO_CODES)
def test_scenario_code_errors_list_the_values_or_say_where(tmp_path, rulebook, key, where):
    values = {"actions": None, "not": None, "fired": [r.id for r in rulebook.rules],
              "not_fired": [r.id for r in rulebook.rules], "cites": list(rulebook.evidence)}[key]
    values = values or schema_enums("scenario")["actions"]
    scenario = {"case": {"id": "c"}, "steps": [{"id": "s", "state": yaml.safe_load(EXAMPLE.read_text()),
                                                "expect": {key: [near_miss(values[len(values) // 2])]}}]}
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(scenario))
    (error,) = json.loads(cli("batch", "--json", f).output)["load_errors"]
    lists_or_points(error["message"], values, where)


# -- Ctrl-C with --workers ----------------------------------------------------------------

def children(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return path.read_text().split() if path.exists() else []


def copies(folder: Path, n: int) -> None:
    for src in sorted(SCENARIOS.glob("*.yaml")):
        text = src.read_text()
        for i in range(n):  # each copy its own case id (the first "  id:" is the case's)
            (folder / f"{src.stem}-{i}.yaml").write_text(re.sub(r"(?m)^  id: (\S+)$", rf"  id: \1-{i}", text, count=1))


def one_long_and_short(folder: Path) -> None:
    """A worker busy with a long file while the other waits for work (an idle worker)."""
    data = yaml.safe_load((SCENARIOS / "hepatitis-steroid.yaml").read_text())
    data["steps"] = [dict(data["steps"][0], id=f"p{i}") for i in range(1500)]
    (folder / "a-long.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    copies(folder, 1)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to see the workers start")
@pytest.mark.parametrize("layout", [lambda d: copies(d, 40), one_long_and_short], ids=["200 files", "an idle worker"])
def test_ctrl_c_with_workers_prints_one_line_and_exits_130(tmp_path, layout):
    layout(tmp_path)
    proc = subprocess.Popen([ADVISOR, "batch", "--workers", "2", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env=child_env())
    deadline = time.monotonic() + WAIT
    while len(children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the workers have taken work; a terminal's Ctrl-C reaches the whole group
    assert proc.poll() is None, "the batch ended before Ctrl-C; make it longer"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 130, err
    assert err == "interrupted\n", err


# -- Markdown report ----------------------------------------------------------------------

def test_markdown_report_shows_characters_not_entities(tmp_path):
    out = tmp_path / "advice.md"
    assert cli("evaluate", EXAMPLE, "--report", out).exit_code == 0
    md = out.read_text()
    advice = evaluate_file(EXAMPLE)
    assert "<" in advice.dosing.rationale  # the example's rationale speaks of ANC < 1.0
    assert not re.search(r"&(lt|gt|amp|#\d+);", md), "HTML entities in the Markdown file"
    assert advice.dosing.rationale.replace("_", "\\_") in md
    rendered = MarkdownIt("commonmark").render(md)
    assert advice.dosing.rationale.replace("<", "&lt;").replace(">", "&gt;") in rendered


# -- explain ------------------------------------------------------------------------------

HEPATITIS = """
indication: adjuvant
imatinib: {status: taking, dose_mg: 400, schedule: daily}
labs:
  alt: {value: 320, unit: U/L, uln: 40}
  anc: {value: 0.8, unit: 10^9/L}
adverse_events:
  - {term: alt_increased, grade: 3, trend: new}
"""


def test_explain_names_derived_facts_by_what_they_are(rulebook):
    advice = evaluate_file(EXAMPLE)
    text = cli("explain", EXAMPLE, "heme-withhold").output
    grade = next(d for d in advice.derived if d.term == "neutrophil_count_decreased")
    assert f"neutrophil_count_decreased grade {grade.grade}, derived from {grade.basis}" in text, text
    assert "condition 1: an adverse event (ae)" in text
    assert "a fact of type" not in text and "fact ae-lab-" not in text


def test_explain_names_an_asserted_fact_with_its_rule(tmp_path, rulebook):
    f = tmp_path / "hepatitis.yaml"
    f.write_text(HEPATITIS)
    ex = explain(load_state(f), rulebook, "hep-withhold")
    episode = next(p for p in ex.patterns if p.fact_type in rulebook.derived_types)
    assert episode.chosen is not None
    advice = evaluate_file(f)
    by = next(fr.rule_id for fr in advice.firings if any(a["id"] == episode.chosen.fact_id for a in fr.asserted))
    text = cli("explain", f, "hep-withhold").output
    assert f"{episode.fact_type} asserted by rule {by}" in text, text
    assert f"asserted by rule {by}" in text.split("condition 1:")[1].splitlines()[0]
    assert "derived-" not in text
