"""Reporters: the same Advice rendered for a terminal, as JSON, or as a report file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..advice import Advice


def advice_json(advice: Advice) -> str:
    return json.dumps(advice.to_json(with_trace=True), indent=2, ensure_ascii=False, sort_keys=False)


def emit_advice(advice: Advice, *, json_out: bool = False, trace: bool = False, report: Path | None = None,
                state_path: Path | None = None) -> None:
    if report is not None:
        from .report import write_report

        write_report(advice, report, state_path)
    if json_out:
        sys.stdout.write(advice_json(advice) + "\n")
        return
    from .console import print_advice

    print_advice(advice, trace=trace)
