"""The `advisor` command line: parse arguments, call one library function, render, exit.

Imports here stay light (typer only) so that `advisor --version` starts fast; each command
imports what it needs when it runs.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

import typer

from .. import __version__
from .conventions import Typer

app = Typer(
    name="advisor",
    help="Decision support for imatinib toxicity in GIST. Advice is for a clinician to weigh, not an order.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
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
    from ..textsafe import visible

    try:
        code = fn()
    except AdvisorError as exc:
        if STATE["debug"]:
            raise
        typer.echo(f"error: {visible(exc)}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `advisor batch | head -1`: the reader has all it wants
        quiet_broken_pipe()
    except OSError as exc:  # writing the output failed (disk full, closed device)
        if STATE["debug"]:
            raise
        typer.echo(f"error: cannot write the output: {visible(exc.strerror or exc)}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bug: still one clear line, never a traceback without --debug
        if STATE["debug"]:
            raise
        typer.echo(f"internal error (a bug in the advisor, not in your input): {type(exc).__name__}: {visible(exc)}; "
                   "rerun with --debug for the traceback", err=True)
        raise typer.Exit(3) from None
    raise typer.Exit(code or 0)


# Each module registers its commands on `app`; one module per command group.
from . import commands  # noqa: E402,F401
from . import batch, rules, ask, explain, schema  # noqa: E402,F401
from . import serve  # noqa: E402,F401


class _ClosedStdout:
    """Stands for standard output when the advisor was started with it closed (`advisor ... >&-`):
    the first write fails with a clear OSError, as in other Unix tools, instead of vanishing."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, _text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed")


def _prepare_stdout() -> None:
    """A closed stdout errs on the first write; a non-UTF-8 one shows what it cannot encode as escapes."""
    from ..textsafe import stdout_is_utf8

    if sys.stdout is None:
        sys.stdout = _ClosedStdout()  # type: ignore[assignment]
    elif not stdout_is_utf8() and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")


def quiet_broken_pipe() -> None:
    """The reader closed the pipe: stop quietly with 128 + SIGPIPE, as `yes | head -1` does."""
    import os

    with contextlib.suppress(OSError):  # nothing more may reach the closed pipe at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(141)


def main() -> None:
    _prepare_stdout()
    try:
        app()
    except KeyboardInterrupt:  # Ctrl-C outside a command body
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # outside a command body (typer's own help or usage text)
        with contextlib.suppress(typer.Exit):
            quiet_broken_pipe()
        sys.exit(141)
