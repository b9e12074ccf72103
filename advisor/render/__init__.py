"""Reporters: the same Advice rendered for a terminal, as JSON, or as a report file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..advice import Advice


def terminal(**options):
    """A rich Console for standard output whose broken pipe reaches the CLI as BrokenPipeError
    (rich itself would exit 1): `advisor batch | head -1` then ends quietly like other tools."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return _Console(**options)


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
