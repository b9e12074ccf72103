"""Reporters for batch results: rich table, JSON, JUnit XML."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from ..scenarios import BatchResult

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


def junit_xml(result: BatchResult) -> str:
    s = result.summary
    suites = ET.Element("testsuites", tests=str(s["steps"] + s["errors"]), failures=str(s["failed"]), errors=str(s["errors"]))
    by_file: dict[str, list] = {}
    for r in result.results:
        by_file.setdefault(r.file, []).append(r)
    for file, rows in by_file.items():
        suite = ET.SubElement(suites, "testsuite", name=file, tests=str(len(rows)), failures=str(sum(r.result == "fail" for r in rows)))
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=r.case, name=r.step, file=file)
            if r.result == "fail":
                ET.SubElement(case, "failure", message="; ".join(r.problems)).text = "\n".join(r.problems)
            elif r.result == "deviation":
                ET.SubElement(case, "system-out").text = f"documented deviation: {r.deviation}"
    for e in result.load_errors:
        suite = ET.SubElement(suites, "testsuite", name=e.file, tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="load", name=Path(e.file).name)
        ET.SubElement(case, "error", message=e.message).text = e.message
    return ET.tostring(suites, encoding="unicode")


def emit_batch(result: BatchResult, json_out: bool = False, junit: Path | None = None, coverage: bool = False) -> None:
    if junit is not None:
        from ..atomic import write_text_atomic

        write_text_atomic(junit, junit_xml(result))
    if json_out:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(show_edge=False)
    for col in ("case", "step", "result", "what differed / deviation"):
        table.add_column(col)
    style = {"pass": "green", "fail": "bold red", "deviation": "yellow"}
    # A long run lists only the steps to look at: a table of thousands of passes costs more
    # than replaying them and nobody reads it (--json and --junit list every step).
    rows = result.results if len(result.results) <= TABLE_ROWS else [r for r in result.results if r.result != "pass"]
    for r in rows[:TABLE_ROWS]:
        # The table shows the deviation's first sentence; --json and --junit carry all of it.
        detail = "; ".join(r.problems) if r.problems else (r.deviation or "").split("; ")[0].split(". ")[0]
        table.add_row(r.case, r.step, f"[{style[r.result]}]{r.result}[/]", detail)
    if rows:
        console.print(table)
    listed = min(len(rows), TABLE_ROWS)
    if listed < len(result.results):
        more = f", and the failures and deviations past the first {TABLE_ROWS}" if len(rows) > TABLE_ROWS else ""
        console.print(f"{len(result.results) - listed} of {len(result.results)} steps not listed: the passed steps{more}; "
                      "--json or --junit list every step")
    for e in result.load_errors:
        console.print(f"[bold red]load error[/] {e.message}")
    if coverage and result.coverage:
        cov = Table(title="Rule coverage (scenario steps that fired each rule)", title_justify="left", show_edge=False)
        cov.add_column("rule")
        cov.add_column("steps", justify="right")
        for rule_id, n in result.coverage.items():
            cov.add_row(rule_id, str(n) if n else "[red]0[/]")
        console.print(cov)
        cs = result.coverage_summary
        console.print(f"rule coverage: {cs['fired']} of {cs['rules']} rules fired by at least one step ({cs['percent']}%)")
        if cs["never_fired"]:
            console.print("never fired by any scenario step: " + ", ".join(cs["never_fired"]))
    s = result.summary
    def n(count: int, word: str) -> str:
        return f"{count} {word}" + ("" if count == 1 else "s")

    console.print(f"{n(s['files'], 'file')}, {n(s['steps'], 'step')}: {s['passed']} passed, {s['failed']} failed, "
                  f"{n(s['deviations'], 'deviation')}, {n(s['errors'], 'load error')}")
