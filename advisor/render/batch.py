"""Reporters for batch results: rich table, JSON, JUnit XML."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from ..scenarios import BatchResult, LoadError, StepResult
from ..textsafe import visible

TABLE_ROWS = 200  # past this many steps the table lists only failures and deviations


@contextlib.contextmanager
def progress_for(enabled: bool = True) -> Iterator:
    """A progress bar on stderr for long runs in a terminal; silent otherwise.

    Yields a callback run_batch calls after each file with the total it found, so the bar
    appears only once the run is known to be long, and the folders are walked once.
    """
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with contextlib.ExitStack() as stack:
        bar: list = []

        def tick(_file: object, total: int) -> None:
            if not bar:
                if total < 10:
                    return
                from rich.console import Console
                from rich.progress import Progress

                progress = stack.enter_context(Progress(console=Console(stderr=True), transient=True))
                bar.append((progress, progress.add_task("scenario files", total=total)))
            progress, task = bar[0]
            progress.advance(task)

        yield tick


def _xml(text: object) -> str:
    """Text for an XML attribute or element: control characters (not allowed in XML 1.0) as visible escapes."""
    return visible(text)


def load_error_line(e: LoadError) -> str:
    """A load error for a reader: always names the file, even when the message does not."""
    return e.message if e.message.startswith(e.file) else f"{e.file}: {e.message}"


def recommended_text(r: StepResult) -> str:
    """What the advisor recommended at a step: the dosing decision with its dose first, then the rest."""
    dose = f" {r.dose_mg} mg/d" if r.dose_mg is not None else ""
    others = [a for a in r.recommended if a != r.dosing]
    return f"recommended {r.dosing or '(no dosing decision)'}{dose}" + (f" (+ {', '.join(others)})" if others else "")


def failure_text(r: StepResult) -> str:
    """What differed at a failed step, and what was recommended instead."""
    return "; ".join(r.problems) + f"; {recommended_text(r)}"


def junit_xml(result: BatchResult) -> str:
    s = result.summary
    suites = ET.Element("testsuites", tests=str(s["steps"] + s["errors"]), failures=str(s["failed"]), errors=str(s["errors"]))
    by_file: dict[str, list] = {}
    for r in result.results:
        by_file.setdefault(r.file, []).append(r)
    for file, rows in by_file.items():
        suite = ET.SubElement(suites, "testsuite", name=_xml(file), tests=str(len(rows)), failures=str(sum(r.result == "fail" for r in rows)))
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=_xml(r.case), name=_xml(r.step), file=_xml(file))
            if r.result == "fail":
                ET.SubElement(case, "failure", message=_xml(failure_text(r))).text = _xml("\n".join((*r.problems, recommended_text(r))))
            elif r.result == "deviation":
                ET.SubElement(case, "system-out").text = _xml(f"documented deviation: {r.deviation}")
    for e in result.load_errors + result.internal_errors:
        suite = ET.SubElement(suites, "testsuite", name=_xml(e.file), tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="load", name=_xml(Path(e.file).name))
        ET.SubElement(case, "error", message=_xml(load_error_line(e))).text = _xml(load_error_line(e))
    return ET.tostring(suites, encoding="unicode")


def emit_batch(result: BatchResult, json_out: bool = False, junit: Path | None = None, coverage: bool = False,
               rulebook_source: str | None = None) -> None:
    if junit is not None:
        from ..atomic import write_text_atomic

        write_text_atomic(junit, junit_xml(result), inputs=result.read + ((rulebook_source,) if rulebook_source else ()))
    if json_out:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    from . import terminal

    def t(value: object, style: str = "") -> Text:
        return Text(visible(value), style=style)

    console = terminal()
    table = Table(show_edge=False)
    for col in ("case", "step", "result", "what differed / deviation"):
        table.add_column(col)
    style = {"pass": "green", "fail": "bold red", "deviation": "yellow"}
    # A long run lists only the steps to look at: a table of thousands of passes costs more
    # than replaying them and nobody reads it (--json and --junit list every step).
    rows = result.results if len(result.results) <= TABLE_ROWS else [r for r in result.results if r.result != "pass"]
    for r in rows[:TABLE_ROWS]:
        # The table shows the deviation's first sentence; --json and --junit carry all of it.
        detail = failure_text(r) if r.problems else (r.deviation or "").split("; ")[0].split(". ")[0]
        table.add_row(t(r.case), t(r.step), t(r.result, style[r.result]), t(detail))
    if rows:
        console.print(table)
    listed = min(len(rows), TABLE_ROWS)
    if listed < len(result.results):
        more = f", and the failures and deviations past the first {TABLE_ROWS}" if len(rows) > TABLE_ROWS else ""
        console.print(f"{len(result.results) - listed} of {len(result.results)} steps not listed: the passed steps{more}; "
                      "--json or --junit list every step")
    for e in result.load_errors:
        console.print(Text.assemble(("load error", "bold red"), " ", t(load_error_line(e))))
    for e in result.internal_errors:
        console.print(Text.assemble(("internal error", "bold red"), " ", t(load_error_line(e))))
    if coverage and result.coverage:
        cov = Table(title="Rule coverage (scenario steps that fired each rule)", title_justify="left", show_edge=False)
        cov.add_column("rule")
        cov.add_column("steps", justify="right")
        for rule_id, n in result.coverage.items():
            cov.add_row(t(rule_id), t(n, "" if n else "red"))
        console.print(cov)
        cs = result.coverage_summary
        console.print(f"rule coverage: {cs['fired']} of {cs['rules']} rules fired by at least one step ({cs['percent']}%)")
        if cs["never_fired"]:
            console.print(t("never fired by any scenario step: " + ", ".join(cs["never_fired"])))
    s = result.summary
    def n(count: int, word: str) -> str:
        return f"{count} {word}" + ("" if count == 1 else "s")

    console.print(f"{n(s['files'], 'file')}, {n(s['steps'], 'step')}: {s['passed']} passed, {s['failed']} failed, "
                  f"{n(s['deviations'], 'deviation')}, {n(s['errors'], 'load error')}"
                  + (f", {n(len(result.internal_errors), 'internal error')}" if result.internal_errors else ""))
