"""Rich terminal rendering of Advice."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .. import DISCLAIMER
from ..advice import Advice, Recommendation


def _params(params: dict[str, Any]) -> str:
    parts = []
    for k, v in params.items():
        if k == "titration" and isinstance(v, list):
            steps = ", ".join(f"{s['dose_mg']} mg{' every other day' if s.get('schedule') == 'every_other_day' else ''} after {s['after_days']} d" for s in v)
            parts.append(f"then {steps}" if steps else "")
        elif isinstance(v, list):
            parts.append(f"{k}: {', '.join(map(str, v))}")
        else:
            parts.append(f"{k}: {v}")
    return "; ".join(p for p in parts if p)


def _rec_line(r: Recommendation, titles: dict[str, str]) -> Text:
    t = Text()
    t.append(r.action, style="bold")
    if r.params:
        t.append(f"  ({_params(r.params)})")
    t.append(f"\n  {r.rationale}", style="")
    t.append(f"\n  evidence: {', '.join(r.evidence)}", style="cyan")
    t.append(f"   rule: {r.rule}" + (f" (+ {', '.join(r.also_from)})" if r.also_from else ""), style="dim")
    return t


def print_advice(advice: Advice, trace: bool = False, console: Console | None = None) -> None:
    console = console or Console()
    rb = advice.rulebook
    console.print(f"[dim]rulebook {rb.id} {rb.version} (sha256 {rb.sha256[:12]})[/dim]")
    if advice.derived:
        table = Table(title="Derived CTCAE v5 grades", title_justify="left", show_edge=False)
        table.add_column("term")
        table.add_column("grade", justify="right")
        table.add_column("from")
        for d in advice.derived:
            table.add_row(d.term, str(d.grade), d.basis)
        console.print(table)
    dosing = advice.dosing
    style = "red" if dosing.action in ("interrupt_imatinib", "discontinue_imatinib", "switch_to_sunitinib") else "green"
    console.print(Panel(_rec_line(dosing, advice.evidence_titles), title="Dosing decision", border_style=style, title_align="left"))
    others = [r for r in advice.recommendations if r is not dosing]
    if others:
        console.print("[bold]Also recommended[/bold]")
        for r in others:
            console.print(_rec_line(r, advice.evidence_titles))
    if advice.warnings:
        console.print("[bold yellow]Warnings and assumptions[/bold yellow]")
        for w in advice.warnings:
            console.print(f"  [yellow]! {w}[/yellow]")
    if trace:
        console.print(trace_tree(advice))
    console.print(f"[italic]{DISCLAIMER}[/italic]")


def _facts_line(fact: dict[str, Any]) -> str:
    fields = {k: v for k, v in fact.items() if k not in ("id", "type")}
    return f"{fact.get('type')} {fact.get('id')}: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in fields.items())


def trace_tree(advice: Advice) -> Tree:
    root = Tree("[bold]Trace[/bold]")
    inputs = root.add("input facts")
    conversions = root.add("conversions, assumptions and grades")
    fired = root.add("rules fired (in order)")
    safety = root.add("safety layer")
    for e in advice.trace:
        d = e.data
        if e.step == "input":
            for f in d["facts"]:
                inputs.add(_facts_line(f))
        elif e.step in ("conversion", "assumption"):
            conversions.add(f"{e.step}: {d['text']}")
        elif e.step == "grade":
            conversions.add(f"grade: {d['term']} = {d['grade']} ({d['from']})")
        elif e.step == "fired":
            node = fired.add(f"[bold]{d['rule']}[/bold] [dim](priority {d['priority']})[/dim] {d['description']}")
            for name, fact in d["matched"].items():
                node.add(f"matched {name}: {_facts_line(fact)}")
            for a in d["asserted"]:
                node.add(f"[magenta]asserted[/magenta] {_facts_line(a)}")
            for r in d["recommended"]:
                node.add(f"[green]recommended[/green] {r['action']} {json.dumps(r['params']) if r['params'] else ''}")
        elif e.step in ("safety", "fallback"):
            safety.add(f"{d.get('resolution', 'fallback')}: {d['text']}")
        elif e.step == "final":
            final = root.add("final recommendations")
            for r in d["recommendations"]:
                final.add(f"{r['action']} [dim]({r['rule']})[/dim]")
    if not safety.children:
        safety.add("no changes: one dosing decision, on the ladder, no conflicts")
    return root
