"""`advisor batch`: replay scenario files and check the advice at every step."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app, guarded
from .commands import RULEBOOK_OPT


@app.command()
def batch(
    paths: list[Path] = typer.Argument(..., metavar="FILE_OR_DIR", help="Scenario files or folders."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    junit: Path = typer.Option(None, "--junit", metavar="FILE", help="Also write JUnit XML to this file."),
    coverage: bool = typer.Option(False, "--coverage", help="Report how many steps fired each rule."),
    rulebook: Path = RULEBOOK_OPT,
    workers: int = typer.Option(1, "--workers", "-w", min=1, metavar="N", help="Replay files in N processes (same results, same order)."),
) -> None:
    """Replay scenario files step by step; exit 0 all passed, 1 a step failed, 2 a file did not load."""

    def body() -> int:
        from ..evaluate import get_rulebook
        from ..render.batch import emit_batch, progress_for
        from ..scenarios import run_batch

        rb = get_rulebook(rulebook)
        with progress_for(enabled=not json_out) as tick:
            result = run_batch(list(paths), rb, progress=tick, workers=workers)
        emit_batch(result, json_out=json_out, junit=junit, coverage=coverage, rulebook_source=rb.source)
        return result.exit_code

    guarded(body)
