"""The bad-input corpus (tests/bad_inputs): no broken file crashes the advisor (issue 7).

Every broken state, scenario and rulebook must end with exit code 2 and one message that
names the file, the line or key path and what was expected, never a traceback:
- states/*     through `advisor evaluate FILE` (and `--json`), and `advisor batch FILE`;
- scenarios/*  through `advisor batch FILE` (table, --json and --junit);
- rulebooks/*  through `advisor evaluate --rulebook FILE`, `advisor batch --rulebook FILE`
               and `advisor rules lint FILE` (skipped while that command does not exist).
tests/bad_inputs/expected.yaml maps each file to the fragments its message must contain.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.cli import app

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "bad_inputs"
ROOT = HERE.parent
EXPECTED: dict[str, list[str]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
OK_STATE = "ok-state.yaml"
OK_RULEBOOK = "ok-rulebook.yaml"
OK_SCENARIO = "ok-scenario.yaml"


def _files(kind: str) -> list[str]:
    return sorted(f"{kind}/{p.name}" for p in (CORPUS / kind).iterdir() if p.is_file())


STATES, SCENARIOS, RULEBOOKS = _files("states"), _files("scenarios"), _files("rulebooks")


@pytest.fixture(autouse=True)
def _in_corpus(monkeypatch):
    """Run from tests/bad_inputs so that messages name files by their corpus path."""
    monkeypatch.chdir(CORPUS)


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    # anything but a clean exit (SystemExit via typer.Exit) is an escaped exception: a crash
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"advisor {' '.join(args)} raised {type(result.exception).__name__}: {result.exception}")
    return result


def assert_clean_message(text: str, rel: str, fragments: list[str]) -> None:
    assert "Traceback" not in text, text
    assert rel in text, f"the message does not name the file {rel}: {text}"
    for frag in fragments:
        assert frag in text, f"{rel}: {frag!r} missing from the message:\n{text}"
    # one paragraph: no blank lines, and not a wall of text
    body = text.strip()
    assert "\n\n" not in body, body
    assert len(body.splitlines()) <= 12, body


def _line_of(fragments: list[str]) -> int | None:
    m = re.search(r":(\d+)$", fragments[0])
    return int(m.group(1)) if m else None


# -- the corpus itself ---------------------------------------------------------------------

def test_every_corpus_file_has_expected_fragments():
    files = set(STATES + SCENARIOS + RULEBOOKS)
    assert files == set(EXPECTED), {"without expectations": sorted(files - set(EXPECTED)),
                                    "expected but missing": sorted(set(EXPECTED) - files)}
    for rel, frags in EXPECTED.items():
        assert frags and frags[0].startswith(rel), f"{rel}: the first fragment must be the file (and line)"


def test_corpus_covers_the_issue_categories():
    names = " ".join(EXPECTED)
    for needle in ("broken-yaml", "binary", "empty", "top-list", "unknown-top-key", "duplicate-key", "text",
                   "negative", "absurd", "grade-high", "term-unknown", "unit-unknown", "unknown-action",
                   "missing-evidence", "python-tag"):
        assert needle in names, needle
    assert len(STATES) >= 40 and len(SCENARIOS) >= 25 and len(RULEBOOKS) >= 25


def test_controls_are_valid():
    assert run("evaluate", OK_STATE).exit_code == 0
    assert run("evaluate", "--rulebook", OK_RULEBOOK, OK_STATE).exit_code == 0
    res = run("batch", "--json", OK_SCENARIO)
    assert res.exit_code == 0, res.output


# -- states -------------------------------------------------------------------------------

@pytest.mark.parametrize("rel", STATES)
def test_bad_state_evaluate(rel):
    res = run("evaluate", rel)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: "), res.stderr
    assert_clean_message(res.stderr, rel, EXPECTED[rel])
    assert res.stdout == ""


@pytest.mark.parametrize("rel", STATES)
def test_bad_state_evaluate_json(rel):
    res = run("evaluate", "--json", rel)
    assert res.exit_code == 2
    assert_clean_message(res.stderr, rel, EXPECTED[rel])
    assert res.stdout == ""  # no half JSON document on stdout


@pytest.mark.parametrize("rel", STATES)
def test_bad_state_as_scenario_batch(rel):
    """A state file given to batch is not a scenario: a load error naming the file, exit 2."""
    res = run("batch", "--json", rel)
    assert res.exit_code == 2
    data = json.loads(res.stdout)
    assert [e["file"] for e in data["load_errors"]] == [rel]
    assert "Traceback" not in res.output


# -- scenarios ----------------------------------------------------------------------------

@pytest.mark.parametrize("rel", SCENARIOS)
def test_bad_scenario_batch_json(rel):
    res = run("batch", "--json", rel)
    assert res.exit_code == 2, res.output
    data = json.loads(res.stdout)
    assert data["summary"]["errors"] == 1
    (err,) = data["load_errors"]
    assert err["file"] == rel
    assert err["line"] == _line_of(EXPECTED[rel])
    assert_clean_message(err["message"], rel, EXPECTED[rel])


@pytest.mark.parametrize("rel", SCENARIOS)
def test_bad_scenario_batch_table(rel):
    res = run("batch", rel)
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "load error" in res.stdout and Path(rel).name in res.stdout


def test_bad_scenarios_all_at_once_with_junit(tmp_path):
    """One run over the whole folder and a good file: every bad file listed, the good one still runs."""
    junit = tmp_path / "out.xml"
    res = run("batch", "--json", "--junit", str(junit), "scenarios", OK_SCENARIO)
    assert res.exit_code == 2
    data = json.loads(res.stdout)
    assert sorted(e["file"] for e in data["load_errors"]) == sorted(str(Path(s)) for s in SCENARIOS)
    assert data["summary"]["passed"] >= 1
    xml = junit.read_text()
    assert xml.count("<error ") == len(SCENARIOS)


# -- rulebooks ----------------------------------------------------------------------------

@pytest.mark.parametrize("rel", RULEBOOKS)
def test_bad_rulebook_evaluate(rel):
    res = run("evaluate", "--rulebook", rel, OK_STATE)
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith("error: "), res.stderr
    assert_clean_message(res.stderr, rel, EXPECTED[rel])


@pytest.mark.parametrize("rel", RULEBOOKS)
def test_bad_rulebook_batch(rel):
    res = run("batch", "--json", "--rulebook", rel, OK_SCENARIO)
    assert res.exit_code == 2, res.output
    assert_clean_message(res.stderr, rel, EXPECTED[rel][:1])


def _lint_exists() -> bool:
    res = CliRunner().invoke(app, ["rules", "lint", "--help"])
    return res.exit_code == 0


@pytest.mark.parametrize("rel", RULEBOOKS)
def test_bad_rulebook_lint(rel):
    if not _lint_exists():
        pytest.skip("`advisor rules lint` is not there yet")
    res = run("rules", "lint", rel)
    assert res.exit_code != 0, res.output  # the exit code itself: test_bad_rulebook_lint_exit_code
    text = res.stdout + res.stderr
    assert "Traceback" not in text
    first = EXPECTED[rel][0]  # file, or file:line
    assert first in text or (rel in text and str(_line_of(EXPECTED[rel]) or "") in text), text


def test_bad_rulebook_lint_exit_code():
    """A rulebook that does not load is bad input for lint too: exit 2 (lint-only errors exit 1)."""
    if not _lint_exists():
        pytest.skip("`advisor rules lint` is not there yet")
    codes = {rel: run("rules", "lint", rel).exit_code for rel in RULEBOOKS}
    assert {rel: c for rel, c in codes.items() if c != 2} == {}


def test_lint_passes_the_control_rulebook():
    if not _lint_exists():
        pytest.skip("`advisor rules lint` is not there yet")
    res = run("rules", "lint", OK_RULEBOOK)
    assert res.exit_code in (0, 1), res.output  # 1 only for warnings (unreachable rules etc.)


# -- safe loading -------------------------------------------------------------------------

def test_python_tags_never_run_code(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    for rel in [r for r in EXPECTED if "python" in r]:
        if rel.startswith("states/"):
            res = run("evaluate", rel)
        elif rel.startswith("scenarios/"):
            res = run("batch", rel)
        else:
            res = run("evaluate", "--rulebook", rel, OK_STATE)
        assert res.exit_code == 2
    assert calls == []


def test_only_safe_yaml_loaders_in_the_source():
    """No yaml.load / unsafe_load / full_load, no Loader=yaml.Loader, no eval or exec anywhere."""
    bad = re.compile(r"yaml\.(load|unsafe_load|full_load|load_all|unsafe_load_all)\(|yaml\.(Unsafe|Full)?Loader\b|"
                     r"(?<![\w.])(eval|exec)\(|__import__\(['\"](pickle|marshal)")
    offenders = []
    for p in (ROOT / "advisor").rglob("*.py"):
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if bad.search(line):
                offenders.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_cli_process_prints_no_traceback():
    """The real entry point (not the test runner) on three kinds of broken input."""
    exe = ROOT / ".venv" / "bin" / "advisor"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "advisor"]
    for args in (["evaluate", "states/recursive-alias.yaml"], ["batch", "scenarios/binary.yaml"],
                 ["evaluate", "--rulebook", "rulebooks/evidence-not-text.yaml", OK_STATE]):
        proc = subprocess.run(cmd + args, capture_output=True, text=True, timeout=120, cwd=CORPUS)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.stderr.startswith("error: ") or "load error" in proc.stdout, proc.stderr
