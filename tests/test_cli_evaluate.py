"""`advisor evaluate`: JSON output shape, and one clear message (exit 2, no traceback) per bad file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.evaluate import evaluate_file

runner = CliRunner()
GOOD = "imatinib:\n  status: taking\n  dose_mg: 400\nlabs:\n  alt: {value: 240, uln: 40}\n  anc: {value: 2.0}\n"


def run(*args: str):
    return runner.invoke(app, list(args))


def write(tmp_path, text: str, name: str = "state.yaml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_json_output_shape(tmp_path):
    """--json prints rulebook{id,version,sha256}, derived, recommendations (with evidence) and warnings."""
    result = run("evaluate", str(write(tmp_path, GOOD)), "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    out = json.loads(result.stdout)
    assert {"rulebook", "derived", "recommendations", "warnings"} <= set(out)
    assert set(out["rulebook"]) == {"id", "version", "sha256"}
    assert out["rulebook"]["id"] == "imatinib-gist" and len(out["rulebook"]["sha256"]) == 64
    assert out["derived"][0] == {"term": "alt_increased", "grade": 3, "from": "alt 240 U/L = 6.00 x ULN"}
    for r in out["recommendations"]:
        assert set(r) >= {"action", "params", "rule", "rationale", "evidence"}
        assert r["evidence"] and r["rationale"] and r["rule"]
    assert out["recommendations"][0]["action"] == "interrupt_imatinib"
    assert "LLN for anc assumed 1.5 10^9/L" in out["warnings"]


def test_json_output_equals_the_library_result(tmp_path):
    """The CLI's JSON is exactly what the library's evaluate_file returns."""
    f = write(tmp_path, GOOD)
    assert json.loads(run("evaluate", str(f), "--json").stdout) == evaluate_file(f).to_json(with_trace=True)


def test_json_output_is_byte_identical_across_runs(tmp_path):
    """Two runs of the same file print the same bytes."""
    f = write(tmp_path, GOOD)
    assert run("evaluate", str(f), "--json").stdout == run("evaluate", str(f), "--json").stdout


def test_json_input_is_accepted(tmp_path):
    """A JSON state file is evaluated like its YAML twin."""
    j = write(tmp_path, json.dumps({"imatinib": {"status": "taking", "dose_mg": 400},
                                    "labs": {"alt": {"value": 240, "uln": 40}, "anc": {"value": 2.0}}}), "state.json")
    y = write(tmp_path, GOOD)
    rj, ry = run("evaluate", str(j), "--json"), run("evaluate", str(y), "--json")
    assert (rj.exit_code, ry.exit_code) == (0, 0)
    assert json.loads(rj.stdout)["recommendations"] == json.loads(ry.stdout)["recommendations"]


def test_console_output_names_the_decision(tmp_path):
    """Without --json the terminal output names the dosing decision and exits 0."""
    result = run("evaluate", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0
    assert "interrupt" in result.stdout.lower()


BASE = "imatinib:\n  status: taking\n  dose_mg: 400\n"

# (name, file text, file name, [texts stderr must contain, beyond the file name])
BAD_FILES = [
    ("unknown-key", BASE + "grdae: 3\n", "state.yaml",
     [":4: grdae: unknown key 'grdae'", "did you mean", "expected one of: patient, indication"]),
    ("unknown-nested-key", BASE + "adverse_events:\n  - {term: diarrhea, grade: 2, trnd: new}\n", "state.yaml",
     [":5: adverse_events[0].trnd: unknown key 'trnd' (did you mean 'trend'", "expected one of: term, grade, trend"]),
    ("duplicate-key", BASE + "  dose_mg: 300\n", "state.yaml",
     [":4: imatinib.dose_mg: duplicate key 'dose_mg' (first given on line 3)"]),
    ("wrong-type", "imatinib:\n  status: taking\n  dose_mg: four hundred\n", "state.yaml",
     [":3: imatinib.dose_mg: input should be a valid integer", "(got 'four hundred')"]),
    ("wrong-type-lab", BASE + "labs:\n  alt: {value: high}\n", "state.yaml",
     [":5: labs.alt.value: input should be a valid number", "(got 'high')"]),
    ("grade-out-of-range", BASE + "adverse_events:\n  - {term: diarrhea, grade: 6}\n", "state.yaml",
     [":5: adverse_events[0].grade: input should be less than or equal to 5 (got 6)"]),
    ("grade-above-term-max", BASE + "adverse_events:\n  - {term: rash_maculopapular, grade: 4}\n", "state.yaml",
     [":5: adverse_events[0]: CTCAE v5 grades rash_maculopapular from 1 to 3; got 4"]),
    ("unknown-term", BASE + "adverse_events:\n  - {term: rash_maculopapulr, grade: 2}\n", "state.yaml",
     [":5: adverse_events[0].term: unknown adverse event term 'rash_maculopapulr' (did you mean 'rash_maculopapular'"]),
    ("dose-not-on-ladder", "imatinib:\n  status: taking\n  dose_mg: 350\n", "state.yaml",
     [":3: imatinib.dose_mg: 350 mg is not on the imatinib dose ladder; expected one of 100, 200, 300, 400, 600, 800"]),
    ("missing-imatinib", "patient: {age: 50}\n", "state.yaml", [":1: imatinib: is required but missing"]),
    ("unknown-unit", BASE + "labs:\n  alt: {value: 100, unit: mg/dL}\n", "state.yaml",
     [":5: labs.alt.unit: unit 'mg/dL' is not accepted for alt; accepted: U/L, IU/L, ukat/L"]),
    ("implausible", BASE + "labs:\n  temperature_c: {value: 60}\n", "state.yaml",
     [":5: labs.temperature_c.value: temperature_c 60.0 Cel is outside what is physiologically possible (25-45 Cel)"]),
    ("empty", "", "state.yaml", ["the file is empty; expected a mapping of keys"]),
    ("list-at-top", "- imatinib: {status: taking, dose_mg: 400}\n", "state.yaml",
     [":1: the top level is a list; expected a mapping (a patient state with at least 'imatinib')"]),
    ("broken-yaml", "imatinib:\n  status: taking\n  dose_mg: [400\nlabs: {}\n", "state.yaml",
     [":4: not valid YAML: did not find expected ',' or ']'"]),
    ("broken-json", '{"imatinib": {"status": "taking",\n "dose_mg": 400,}}\n', "state.json",
     [":2: not valid JSON: "]),  # the reason after it is the json module's, worded per version
    ("json-unknown-key", '{"imatinib": {"status": "taking", "dose_mg": 400}, "grdae": 1}\n', "state.json",
     ["grdae: unknown key 'grdae'", "expected one of: patient"]),
    ("several-problems", BASE + "adverse_events:\n  - {term: diarrhea, grade: x, trend: up}\n", "state.yaml",
     ["2 problems in the patient state", ":5: adverse_events[0].grade: input should be a valid integer",
      ":5: adverse_events[0].trend: 'up' is not allowed; expected 'new', 'worsening', 'stable', 'improving' or 'resolved'"]),
]


@pytest.mark.parametrize(("text", "name", "expected"), [pytest.param(t, n, e, id=i) for i, t, n, e in BAD_FILES])
def test_bad_file_message(tmp_path, text, name, expected):
    """A bad state file exits 2 with one message naming file, line/key path and what was expected; no traceback."""
    f = write(tmp_path, text, name)
    result = run("evaluate", str(f))
    assert result.exit_code == 2, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {f}")
    for part in expected:
        assert part in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_bad_file_with_json_flag_prints_no_json(tmp_path):
    """--json does not turn an input error into JSON on stdout or a different exit code."""
    result = run("evaluate", str(write(tmp_path, "imatinib: {status: taking, dose_mg: 350}\n")), "--json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert "350 mg is not on the imatinib dose ladder" in result.stderr


def test_missing_file(tmp_path):
    """A path that does not exist is reported with the path, exit 2."""
    result = run("evaluate", str(tmp_path / "nope.yaml"))
    assert (result.exit_code, result.stderr) == (2, f"error: {tmp_path / 'nope.yaml'}: no such file\n")


def test_subprocess_entry_point_has_no_traceback(tmp_path):
    """The installed `advisor` script prints the message and exits 2 (not only under CliRunner)."""
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("advisor")
    f = write(tmp_path, BASE + "adverse_events:\n  - {term: diarrhea, grade: 6}\n")
    proc = subprocess.run([str(exe), "evaluate", str(f)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert f"{f}:5: adverse_events[0].grade: input should be less than or equal to 5 (got 6)" in proc.stderr
    assert "Traceback" not in proc.stderr
