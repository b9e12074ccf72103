"""Reporters: the same Advice rendered for a terminal, as JSON, or as a report file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..advice import Advice


# Output to a file or pipe (a CI log) is not wrapped at 80 columns: a cut step or rule id is
# lost to grep. Lines there are as long as their content; COLUMNS still sets a width.
UNWRAPPED_WIDTH = 10_000


def terminal(**options):
    """A rich Console for standard output whose broken pipe reaches the CLI as BrokenPipeError
    (rich itself would exit 1): `advisor batch | head -1` then ends quietly like other tools.
    Not a terminal and no COLUMNS: as wide as the content (see `unwrapped`)."""
    import os

    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    console = _Console(**options)
    if "width" not in options and not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console.width = UNWRAPPED_WIDTH
    return console


def unwrapped(console) -> bool:
    """Whether `console` writes lines as long as their content: a panel or rule should then fit
    its content, not span the (virtual) width."""
    return console.width >= UNWRAPPED_WIDTH


def advice_json(advice: Advice, ascii_only: bool = False) -> str:
    return json.dumps(advice.to_json(with_trace=True), indent=2, ensure_ascii=ascii_only, sort_keys=False)


def stdout_ascii_only() -> bool:
    """JSON for a stdout that cannot take UTF-8 uses \\u escapes: the same text, exactly."""
    from ..textsafe import stdout_is_utf8

    return not stdout_is_utf8()


def emit_advice(advice: Advice, *, json_out: bool = False, trace: bool = False, report: Path | None = None,
                state_path: Path | None = None) -> None:
    if report is not None:
        from .report import write_report

        write_report(advice, report, state_path)
    if json_out:
        sys.stdout.write(advice_json(advice, ascii_only=stdout_ascii_only()) + "\n")
        return
    from .console import print_advice

    print_advice(advice, trace=trace)
