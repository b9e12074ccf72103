"""Rich terminal rendering of Advice."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .. import DISCLAIMER, vocab
from ..advice import Advice, Recommendation
from ..explain import Explanation, Node, trace_outline
from ..textsafe import visible
from . import terminal, unwrapped


def _t(value: Any, style: str = "") -> Text:
    """Input text as a Text: never read as rich markup or emoji codes, control characters shown as escapes."""
    return Text(visible(value), style=style)


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
    t.append(visible(r.action), style="bold")
    if r.params:
        t.append(visible(f"  ({_params(r.params)})"))
    t.append(visible(f"\n  {r.rationale}"), style="")
    t.append(visible("\n  evidence: " + "; ".join(f"{e} ({titles[e]})" if e in titles else e for e in r.evidence)), style="cyan")
    t.append(visible(f"   rule: {r.rule}" + (f" (+ {', '.join(r.also_from)})" if r.also_from else "")), style="dim")
    return t


def print_advice(advice: Advice, trace: bool = False, console: Console | None = None) -> None:
    console = console or terminal()
    rb = advice.rulebook
    console.print(_t(f"rulebook {rb.id} {rb.version} (sha256 {rb.sha256[:12]})", "dim"))
    if advice.derived:
        table = Table(title="Derived CTCAE v5 grades", title_justify="left", show_edge=False)
        table.add_column("term")
        table.add_column("grade", justify="right")
        table.add_column("from")
        for d in advice.derived:
            table.add_row(_t(d.term), _t(d.grade), _t(d.basis))
        console.print(table)
    dosing = advice.dosing
    style = "red" if dosing.action in vocab.STOPPING_ACTIONS else "green"
    console.print(Panel(_rec_line(dosing, advice.evidence_titles), title="Dosing decision", border_style=style, title_align="left",
                        expand=not unwrapped(console)))
    others = [r for r in advice.recommendations if r is not dosing]
    if others:
        console.print("[bold]Also recommended[/bold]")
        for r in others:
            console.print(_rec_line(r, advice.evidence_titles))
    if advice.warnings:
        console.print("[bold yellow]Warnings and assumptions[/bold yellow]")
        for w in advice.warnings:
            console.print(_t(f"  ! {w}", "yellow"))
    if trace:
        console.print(trace_tree(advice))
    console.print(f"[italic]{DISCLAIMER}[/italic]")


_STYLE = {"root": "bold", "section": "bold", "rule": "bold", "asserted": "magenta", "recommended": "green",
          "safety": "yellow", "final": "bold green", "evidence": "cyan", "note": "dim", "matched": "", "fact": "",
          "grade": "", "conversion": "dim", "assumption": "yellow"}


def _add(tree: Tree, node: Node) -> None:
    for c in node.children:
        _add(tree.add(_t(c.text, _STYLE.get(c.kind, ""))), c)


def trace_tree(advice: Advice) -> Tree:
    """The forward-chaining run as a tree (the same outline the reports and tests use)."""
    outline = trace_outline(advice)
    root = Tree(_t(outline.text, "bold"))
    _add(root, outline)
    return root


_SYM = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in",
        "has": "has", "has_any": "has any of", "exists": "exists"}


def _cell(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def print_explanation(ex: Explanation, console: Console | None = None) -> None:
    """Each condition of one rule with the value it looked at, the threshold, met / not met."""
    console = console or terminal()
    rb = ex.rulebook
    console.print(_t(f"rulebook {rb.get('id')} {rb.get('version')} (sha256 {rb.get('sha256', '')[:12]})", "dim"))
    if ex.fired:
        head = _t(f"{ex.rule_id} fired", "bold green") + _t(f" ({ex.firings} times)" if ex.firings > 1 else "")
    else:
        head = _t(f"{ex.rule_id} did not fire", "bold red")
    console.print(Text.assemble(head, _t(f": {ex.description}  "), _t(f"(area {ex.area}, priority {ex.priority})", "dim")))
    if ex.recommends:
        console.print(_t(f"recommends: {', '.join(ex.recommends)}", "dim"))
    for i, p in enumerate(ex.patterns, 1):
        mark = Text("met", "green") if p.met else Text("not met", "red")
        console.print(Text.assemble("\n", (f"condition {i}", "bold"), _t(f": {p.description or p.fact_type}: "), mark))
        if p.note:
            console.print(_t(f"  {p.note}", "yellow"))
        for c in p.candidates:
            # the fact named on its own line: a table title would wrap at the table's width
            console.print(_t(f"{c.label or 'fact ' + c.fact_id}{' (matched)' if c.chosen else ''}: {'meets every test' if c.met else 'fails a test'}", "italic"))
            table = Table(show_edge=False, box=None, padding=(0, 2, 0, 2))
            for col in ("test", "value", "threshold", "result"):
                table.add_column(col)
            for t in c.tests:
                test = f"{t.field} {_SYM[t.op]}" if t.op != "exists" else t.test
                test = test if t.group is None else f"any_of[{t.group}]: {test}"
                table.add_row(_t(test), _t(_cell(t.value)), _t(_cell(t.threshold)), Text("met", "green") if t.met else Text("not met", "red"))
            console.print(table)
    if not ex.agrees_with_engine:
        console.print("[bold red]The Python check and the engine disagree about this rule; please report it.[/]")
    console.print(f"[italic]{DISCLAIMER}[/italic]")
