"""`advisor explain`: why a rule did (or did not) fire for one patient state."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from . import app, guarded
from .commands import RULEBOOK_OPT


@app.command()
def explain(
    state: Path = typer.Argument(..., help="Patient state file (YAML or JSON)."),
    rule_id: str = typer.Argument(..., help="The rule to explain (see `advisor rules`)."),
    json_out: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """Show each condition of RULE_ID with the value it looked at, the threshold, and met / not met."""

    def body() -> int:
        from ..explain import explain_file

        ex = explain_file(state, rule_id, rulebook)
        if json_out:
            from ..render import stdout_ascii_only

            sys.stdout.write(json.dumps(ex.to_json(), indent=2, ensure_ascii=stdout_ascii_only()) + "\n")
        else:
            from ..render.console import print_explanation

            print_explanation(ex)
        return 0

    guarded(body)
