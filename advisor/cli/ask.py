"""`advisor ask`: an interactive consultation in the terminal (the interview lives in advisor/ask.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from . import app, guarded
from .commands import RULEBOOK_OPT

# Scripted stdin is refused by default (a pipe cannot answer follow-up questions sensibly);
# tests and demos set this to 1 to feed answers line by line.
ALLOW_NON_TTY = "ADVISOR_ASK_ALLOW_NON_TTY"


class TerminalIO:
    """The interview's IO on a terminal: rich for text, input() (with readline) for answers."""

    def __init__(self, console) -> None:
        self.console = console
        self.echo = not sys.stdin.isatty()  # scripted input: show the answers so the transcript reads
        try:
            import readline

            readline.set_completer_delims(" ,\t\n")
            readline.parse_and_bind("tab: complete")
            self.readline = readline
        except ImportError:  # pragma: no cover - Windows without pyreadline
            self.readline = None

    def ask(self, prompt: str, default: str | None = None, *, key: str = "", choices: Sequence[str] = ()) -> str:
        from ..ask import InterviewAborted

        if self.readline is not None:
            self.readline.set_completer(_completer(choices))
        text = f"{prompt} [{default}]: " if default not in (None, "") else f"{prompt}: "
        try:
            answer = input(text)
        except EOFError:
            raise InterviewAborted("the input ended before the interview finished; nothing was saved") from None
        if self.echo:
            print(answer)
        return answer

    def say(self, text: str) -> None:
        from ..textsafe import visible

        self.console.print(visible(text), highlight=False)  # markup from the interview; answers are escaped there


def _completer(choices: Sequence[str]):
    options = list(choices)

    def complete(text: str, state: int) -> str | None:
        hits = [o for o in options if o.startswith(text.lower())]
        return hits[state] if state < len(hits) else None

    return complete


@app.command()
def ask(
    from_: Path = typer.Option(None, "--from", metavar="FILE", help="Start from this state file and ask only what to change."),
    save: Path = typer.Option(None, "--save", metavar="FILE", help="Write the final state to this YAML file without asking."),
    trace: bool = typer.Option(False, "--trace", help="Show the trace without asking."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """Interactive consultation: answer questions about the patient and get the advice.

    Needs a terminal; set ADVISOR_ASK_ALLOW_NON_TTY=1 to feed answers on stdin (one per line).
    """

    def body() -> int:
        if not sys.stdin.isatty() and os.environ.get(ALLOW_NON_TTY) != "1":
            typer.echo("error: advisor ask is interactive but stdin is not a terminal, so nothing was read. "
                       "Run it in a terminal, or use `advisor evaluate STATE.yaml` for a file "
                       f"(set {ALLOW_NON_TTY}=1 to script the answers).", err=True)
            return 2
        from ..render import terminal

        from .. import DISCLAIMER
        from rich.markup import escape

        from ..ask import HELP, consult
        from ..errors import InputError, Location
        from ..evaluate import get_rulebook
        from ..render.console import print_advice, trace_tree
        from ..readers import read_input

        rb = get_rulebook(rulebook)  # fail on a broken rulebook or --from file before asking anything
        reading = read_input(from_) if from_ else None  # a state file or a FHIR Bundle
        start = reading.state if reading else None
        if save is not None and not (save.parent if str(save.parent) else Path(".")).is_dir():
            raise InputError("the folder to save into does not exist", Location(str(save)))
        console = terminal()
        console.print(f"[italic]{DISCLAIMER}[/italic]")
        console.print(f"[dim]{escape(HELP)}[/dim]")
        if reading is not None:
            console.print(f"Starting from {escape(str(from_))}.", highlight=False)
            from rich.text import Text

            from ..textsafe import visible

            for note in reading.warnings + reading.notes:  # what a FHIR Bundle could not map, before any question
                console.print(Text(visible(note), style="yellow"))
        try:
            consult(TerminalIO(console), rb, start=start, save=save, show_trace=trace, default_name=str(from_) if from_ else None,
                    show_advice=lambda advice: (console.print(), print_advice(advice, console=console)),
                    show_tree=lambda advice: console.print(trace_tree(advice)))
        except KeyboardInterrupt:
            print(file=sys.stderr)
            typer.echo("interrupted: nothing was saved", err=True)
            return 130
        return 0

    guarded(body)
