"""A file given to the wrong command is named for what it is, with the command that reads it (issue 13)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from conftest import ROOT

runner = CliRunner()
STATE = ROOT / "examples" / "neutropenia-grade2.yaml"
SCENARIO = ROOT / "scenarios" / "rash-antihistamine.yaml"
RULEBOOK = ROOT / "rulebooks" / "imatinib-gist.yaml"


@pytest.mark.parametrize(("args", "said"), [
    (["evaluate", str(SCENARIO)], "this is a scenario file (it has 'steps' and 'case'), not a patient state; use `advisor batch"),
    (["evaluate", str(RULEBOOK)], "this is a rulebook (it has 'rules' and 'rulebook'), not a patient state; use `advisor rules lint"),
    (["rules", "lint", str(STATE)], "this is a patient state (it has 'imatinib'), not a rulebook; use `advisor evaluate"),
    (["rules", "lint", str(SCENARIO)], "this is a scenario file (it has 'steps' and 'case'), not a rulebook; use `advisor batch"),
    (["batch", str(STATE)], "this is a patient state (it has 'imatinib'), not a scenario file; use `advisor evaluate"),
])
def test_a_file_given_to_the_wrong_command_is_named_for_what_it_is(args, said):
    """One line says what the file is and which command reads it; exit 2 (bad input), no key-by-key errors."""
    res = runner.invoke(app, args)
    text = " ".join((res.output + (res.stderr if res.stderr_bytes is not None else "")).split())
    assert res.exit_code == 2, res.output
    assert said in text, text
    assert "unknown key" not in text
