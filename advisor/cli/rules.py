"""`advisor rules list|show|lint|coverage|map`: tools for rulebook authors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from . import app, guarded
from .commands import RULEBOOK_OPT
from .conventions import Typer

rules_app = Typer(name="rules", help="Tools for rulebook authors: list, show, lint, coverage, map.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def list_rules(
    json_out: bool = typer.Option(False, "--json", help="Print the rules as JSON."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """List the rules: id, area, priority, actions and evidence."""

    def body() -> int:
        from ..render import terminal
        from rich.table import Table
        from rich.text import Text

        from ..catalog import rule_rows
        from ..evaluate import get_rulebook
        from ..textsafe import visible

        rb = get_rulebook(rulebook)
        rows = rule_rows(rb)
        if json_out:
            typer.echo(json.dumps({"rulebook": rb.id, "version": rb.version, "rules": rows}, indent=2))
            return 0
        table = Table(title=Text(visible(f"{rb.title} ({rb.id} {rb.version}): {len(rows)} rules")))
        for col in ("id", "area", "pri", "actions", "evidence"):
            table.add_column(col, overflow="fold")
        for r in rows:
            acts = ", ".join(r["actions"]) or ("asserts " + ", ".join(r["asserts"]))
            table.add_row(*(Text(visible(v)) for v in (r["id"], r["area"], r["priority"], acts, ", ".join(r["evidence"]))))
        terminal().print(table)
        return 0

    guarded(body)


@rules_app.command("show")
def show_rule(
    rule_id: str = typer.Argument(..., help="The rule id."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """Show one rule as written, its compiled durable-rules form, and its evidence in full."""

    def body() -> int:
        from ..render import terminal, unwrapped
        from rich.syntax import Syntax
        from rich.text import Text

        from ..catalog import rule_detail
        from ..evaluate import get_rulebook
        from ..textsafe import visible

        detail = rule_detail(get_rulebook(rulebook), rule_id)
        if json_out:
            from ..render import stdout_ascii_only

            typer.echo(json.dumps(detail, indent=2, ensure_ascii=stdout_ascii_only()))
            return 0
        con = terminal()
        if unwrapped(con):  # a file or pipe: a rule as long as a terminal is wide, not the whole line
            con = terminal(width=100)
        con.rule(Text(visible(f"{detail['id']}  ({detail['source']})")))
        con.print(Syntax(visible(detail["written"]), "yaml", theme="ansi_dark", background_color="default", word_wrap=True))
        con.rule("compiled (durable-rules)")
        con.print(Syntax(visible(json.dumps(detail["compiled"], indent=2, ensure_ascii=False)), "json", theme="ansi_dark", background_color="default"))
        con.rule("evidence")
        for eid, ev in detail["evidence"].items():
            con.print(Text.assemble((visible(eid), "bold"), visible(f" ({ev['kind']}): {ev['title']}")))
            con.print(Text(visible(f"  {ev['citation']}" + (f"\n  {ev['url']}" if ev.get("url") else ""))))
        return 0

    guarded(body)


@rules_app.command("lint")
def lint_rules(
    paths: list[Path] = typer.Argument(None, metavar="FILE", help="Rulebook files (default: the bundled rulebook)."),
    json_out: bool = typer.Option(False, "--json", help="Print the problems as JSON."),
) -> None:
    r"""Report every problem as file:line: \[severity] message (check); exit 2 if a rulebook does not load, 1 on other errors."""

    def body() -> int:
        from ..lint import lint
        from ..rulebook import default_rulebook_path
        from ..textsafe import visible

        result = lint(list(paths) if paths else [_relative(default_rulebook_path())])
        if json_out:
            typer.echo(json.dumps(result.to_json(), indent=2))
            return result.exit_code
        for p in result.problems:
            typer.echo(visible(p))
        s = result.to_json()["summary"]
        typer.echo(f"{s['files']} file{'s' if s['files'] != 1 else ''}: {s['errors']} error{'s' if s['errors'] != 1 else ''}, "
                   f"{s['warnings']} warning{'s' if s['warnings'] != 1 else ''}", err=True)
        return result.exit_code

    guarded(body)


@rules_app.command("map")
def knowledge_map(
    json_out: bool = typer.Option(False, "--json", help="Print the coverage rows and problems as JSON."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """Clinical coverage: the knowledge map's items per source and how many a rule implements (exit 1 on a gap)."""

    def body() -> int:
        from ..errors import InputError
        from ..evaluate import get_rulebook
        from ..knowledge import check, coverage, coverage_table, load_map, map_path

        rb = get_rulebook(rulebook)
        path = map_path(rb.source)
        if not path.is_file():
            raise InputError(f"no knowledge map for this rulebook (expected {path})")
        km = load_map(path)
        rows, problems = coverage(km, rb), check(km, rb)
        if json_out:
            typer.echo(json.dumps({"coverage": rows, "problems": [p.__dict__ for p in problems]}, indent=2))
        else:
            typer.echo(coverage_table(rows))
            for p in problems:
                typer.echo(f"{p.file}:{p.line}: {p.message}", err=True)
        return 1 if problems else 0

    guarded(body)


def _relative(p: Path) -> Path:
    import os

    rel = os.path.relpath(p)
    return Path(rel) if not rel.startswith("..") else p


_MARK = {"continue_imatinib": "C", "reduce_dose": "R", "escalate_dose": "E", "interrupt_imatinib": "I",
         "discontinue_imatinib": "D", "rechallenge_imatinib": "RC", "switch_to_sunitinib": "S", "switch_therapy": "SW"}


@rules_app.command("coverage")
def coverage(
    json_out: bool = typer.Option(False, "--json", help="Print every cell as JSON."),
    status: list[str] = typer.Option(None, "--status", help="Only these imatinib statuses (taking, interrupted, discontinued)."),
    term: list[str] = typer.Option(None, "--term", help="Only these adverse event terms."),
    gaps_only: bool = typer.Option(False, "--gaps", help="List only the gaps."),
    fail_on_gaps: bool = typer.Option(False, "--fail-on-gaps", help="Exit 1 when a grade 1-4 cell has no dosing rule while imatinib is taken."),
    rulebook: Path = RULEBOOK_OPT,
) -> None:
    """The adverse event x grade x imatinib status matrix: which rule decides the dosing, gaps and overlaps."""

    def body() -> int:
        from .. import vocab
        from ..coverage_matrix import STATUSES, coverage_matrix
        from ..errors import InputError
        from ..evaluate import get_rulebook

        for s in status or ():
            if s not in STATUSES:
                raise InputError(f"unknown status '{s}'{vocab.suggest(s, STATUSES)}; expected {', '.join(STATUSES)}")
        m = coverage_matrix(get_rulebook(rulebook), tuple(term) if term else None, tuple(status) if status else STATUSES)
        code = m.exit_code if fail_on_gaps else 0
        if json_out:
            typer.echo(json.dumps(m.to_json(), indent=2))
            return code
        _render_matrix(m, gaps_only)
        return code

    guarded(body)


def _render_matrix(m, gaps_only: bool) -> None:
    from ..render import terminal
    from rich.table import Table

    con = terminal()
    if gaps_only:
        for c in m.cells:
            if c.applicable and c.gap:
                typer.echo(f"{c.status:<13} {c.term} grade {c.grade}: no dosing rule ({c.rule})")
    else:
        for s in m.statuses:
            table = Table(title=f"imatinib {s}: the rule that decides the dosing", show_lines=False)
            table.add_column("term", no_wrap=True)
            for g in (1, 2, 3, 4, 5):
                table.add_column(f"G{g}", no_wrap=True)
            for t in m.terms:
                row = []
                for g in (1, 2, 3, 4, 5):
                    c = m.cell(t, g, s)
                    if c is None or not c.applicable:
                        row.append("[dim]n/a[/]")
                    elif c.gap:
                        row.append(f"[bold red]GAP[/] [dim]{_MARK.get(c.action, c.action)}[/]")
                    else:
                        over = f" [yellow]+{len(c.overlap)}[/]" if c.overlap else ""
                        # the action letter first: a narrow terminal cuts the rule id, not the decision
                        row.append(f"[bold]{_MARK.get(c.action, c.action)}[/] {c.rule}{over}")
                table.add_row(t, *row)
            con.print(table)
        con.print("[dim]C continue, R reduce, E escalate, I interrupt, D discontinue, RC rechallenge, S sunitinib; "
                  "GAP: no rule decides (the clinician does); +n: n other rules proposed a different dosing[/]", highlight=False)
    s = m.summary
    con.print(f"{s['applicable']} cells: {s['decided']} decided by a rule, {s['gaps']} gaps, {s['overlaps']} overlaps; "
              f"gaps in grades 1-4 while taking: {s['gaps_taking_grade_1_4']}", highlight=False)
