"""`advisor schema state|scenario|rulebook`: JSON Schemas for editors (docs/editor-schemas.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app, guarded


@app.command()
def schema(
    kind: str = typer.Argument(..., help="Which file: state, scenario or rulebook."),
    output: Path = typer.Option(None, "--output", "-o", metavar="FILE", help="Write the schema to this file instead of printing it."),
) -> None:
    """Print the JSON Schema of a state, scenario or rulebook file (for editor completion and validation)."""

    def body() -> int:
        from ..schemas import schema_text

        text = schema_text(kind)
        if output is None:
            typer.echo(text, nl=False)
            return 0
        from ..atomic import write_text_atomic

        write_text_atomic(output, text)
        return 0

    guarded(body)
