"""Command registrations. Each command turns options into arguments and makes one library call."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app, guarded

RULEBOOK_OPT = typer.Option(None, "--rulebook", metavar="FILE", help="Rulebook YAML (default: $ADVISOR_RULEBOOK, else the bundled imatinib-gist rulebook).")


@app.command()
def evaluate(
    state: Path = typer.Argument(..., help="Patient state file (YAML or JSON)."),
    json_out: bool = typer.Option(False, "--json", help="Print the advice as JSON (actions.md shape)."),
    trace: bool = typer.Option(False, "--trace", help="Show the forward-chaining run as a tree."),
    rulebook: Path = RULEBOOK_OPT,
    report: Path = typer.Option(None, "--report", metavar="FILE", help="Also write a self-contained report (.html or .md)."),
) -> None:
    """Evaluate one patient state and show the recommended actions with their evidence."""

    def body() -> int:
        from ..evaluate import evaluate_file
        from ..render import emit_advice

        advice = evaluate_file(state, rulebook)
        emit_advice(advice, json_out=json_out, trace=trace, report=report, state_path=state)
        return 0

    guarded(body)
