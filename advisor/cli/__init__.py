"""The `advisor` command line: parse arguments, call one library function, render, exit.

Imports here stay light (typer only) so that `advisor --version` starts fast; each command
imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from .. import __version__

app = typer.Typer(
    name="advisor",
    help="Decision support for imatinib toxicity in GIST. Advice is for a clinician to weigh, not an order.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
STATE: dict[str, Any] = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"imatinib-advisor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for errors."),
) -> None:
    STATE["debug"] = debug


def guarded(fn: Callable[[], int | None]) -> None:
    """Run a command body; user-fixable errors print one clear message and exit 2."""
    from ..errors import AdvisorError

    try:
        code = fn()
    except AdvisorError as exc:
        if STATE["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except OSError as exc:  # writing the output failed (disk full, closed device)
        if STATE["debug"]:
            raise
        typer.echo(f"error: cannot write the output: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug: still one clear line, never a traceback without --debug
        if STATE["debug"]:
            raise
        typer.echo(f"internal error (a bug in the advisor, not in your input): {type(exc).__name__}: {exc}; "
                   "rerun with --debug for the traceback", err=True)
        raise typer.Exit(3) from None
    raise typer.Exit(code or 0)


# Each module registers its commands on `app`; one module per command group.
from . import commands  # noqa: E402,F401
from . import batch, rules, ask, explain, schema  # noqa: E402,F401
from . import serve  # noqa: E402,F401


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C outside a command body
        print("interrupted", file=sys.stderr)
        sys.exit(130)
