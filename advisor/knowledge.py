"""The knowledge map: every dosing-relevant statement of the sources, and the rules behind it.

A map (knowledge/<rulebook file stem>.yaml) lists sources and items. Each item names its
source and section, says the statement in our own words and lists the rules that implement
it; an item marked `clinician: <reason>` is handed to the clinician by at least one of its
rules (a clinician_review recommendation). The check (`advisor rules lint`, check
knowledge-map) fails when an item has no rule, names an unknown rule, or is marked for the
clinician without a rule that hands it over, and when a rule traces to no item and cites no
case report. Format: knowledge/README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .rulebook import Rulebook
from .yamlio import Document, read_document

ITEM_KEYS = ("id", "source", "section", "statement", "rules", "clinician", "differs", "choice")
SOURCE_KEYS = ("title", "evidence")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    evidence: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Item:
    id: str
    source: str
    section: str
    statement: str
    rules: tuple[str, ...]
    clinician: str | None
    differs: str | None
    choice: str | None
    line: int


@dataclass(frozen=True)
class KnowledgeMap:
    path: str
    sources: tuple[Source, ...]
    items: tuple[Item, ...]
    problems: tuple[tuple[int, str], ...]  # format problems found while reading: (line, message)


@dataclass(frozen=True)
class MapProblem:
    file: str
    line: int
    message: str
    rule: str | None = None


def map_path(rulebook_source: str | os.PathLike) -> Path:
    """knowledge/<stem>.yaml beside the rulebook's folder (rulebooks/x.yaml -> knowledge/x.yaml)."""
    p = Path(rulebook_source).resolve()
    return p.parent.parent / "knowledge" / f"{p.stem}.yaml"


def load_map(path: str | os.PathLike) -> KnowledgeMap:
    doc = read_document(path)
    data = doc.data if isinstance(doc.data, dict) else None
    if data is None:
        raise InputError("a knowledge map is a mapping with sources and items", doc.location(()))
    probs: list[tuple[int, str]] = []
    sources = _sources(data.get("sources"), doc, probs)
    items = _items(data.get("items"), doc, probs)
    return KnowledgeMap(str(path), tuple(sources), tuple(items), tuple(probs))


def _sources(raw: Any, doc: Document, probs: list) -> list[Source]:
    if not isinstance(raw, dict) or not raw:
        probs.append((doc.line_of(("sources",)) or 1, "'sources' must map source ids to {title, evidence}"))
        return []
    out = []
    for sid, s in raw.items():
        line = doc.line_of(("sources", sid)) or 1
        if not isinstance(s, dict) or not isinstance(s.get("title"), str):
            probs.append((line, f"source '{sid}' needs a title"))
            continue
        probs.extend((line, f"source '{sid}': unknown key '{k}'; expected {', '.join(SOURCE_KEYS)}") for k in s if k not in SOURCE_KEYS)
        out.append(Source(str(sid), s["title"], tuple(s.get("evidence") or ()), line))
    return out


def _items(raw: Any, doc: Document, probs: list) -> list[Item]:
    if not isinstance(raw, list):
        probs.append((doc.line_of(("items",)) or 1, "'items' must be a list"))
        return []
    out = []
    for i, it in enumerate(raw):
        line = doc.line_of(("items", i)) or 1
        if not isinstance(it, dict):
            probs.append((line, "each item is a mapping with id, source, section, statement and rules"))
            continue
        probs.extend((line, f"item {it.get('id')}: unknown key '{k}'; expected {', '.join(ITEM_KEYS)}") for k in it if k not in ITEM_KEYS)
        missing = [k for k in ("id", "source", "section", "statement") if not isinstance(it.get(k), str) or not it[k].strip()]
        if missing:
            probs.append((line, f"item {it.get('id', i)}: {', '.join(missing)} missing"))
            continue
        rules = it.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
            probs.append((line, f"item {it['id']}: rules must be a list of rule ids"))
            rules = []
        if ("differs" in it) != ("choice" in it):
            probs.append((line, f"item {it['id']}: where sources differ, say so (differs) and what was chosen and why (choice)"))
        out.append(Item(it["id"], it["source"], it["section"], it["statement"], tuple(rules),
                        it.get("clinician"), it.get("differs"), it.get("choice"), line))
    return out


def check(km: KnowledgeMap, rulebook: Rulebook) -> list[MapProblem]:
    """Every way the map and the rulebook fail to trace to each other."""
    out = [MapProblem(km.path, line, msg) for line, msg in km.problems]
    by_id = rulebook.by_id
    source_ids = {s.id for s in km.sources}
    for s in km.sources:
        out += [MapProblem(km.path, s.line, f"source '{s.id}' names evidence '{e}' that the rulebook does not declare")
                for e in s.evidence if e not in rulebook.evidence]
    seen: set[str] = set()
    for it in km.items:
        if it.id in seen:
            out.append(MapProblem(km.path, it.line, f"item id '{it.id}' is used twice"))
        seen.add(it.id)
        if it.source not in source_ids:
            out.append(MapProblem(km.path, it.line, f"item {it.id}: unknown source '{it.source}'"))
        if not it.rules:
            out.append(MapProblem(km.path, it.line, f"item {it.id} has no rule: implement it or hand it to the clinician with a rule"))
        out += [MapProblem(km.path, it.line, f"item {it.id}: rule '{r}' is not in the rulebook", r) for r in it.rules if r not in by_id]
        if it.clinician and not any(hands_over(by_id[r]) for r in it.rules if r in by_id):
            out.append(MapProblem(km.path, it.line, f"item {it.id} is for the clinician, but none of its rules recommends clinician_review"))
    traced = {r for it in km.items for r in it.rules}
    case_reports = {e for e, ev in rulebook.evidence.items() if ev.kind == "case_report"}
    for rule in rulebook.rules:
        if rule.id not in traced and not any(e in case_reports for t in rule.recommends for e in t.evidence):
            out.append(MapProblem(rulebook.source, rule.line or 1,
                                  f"rule {rule.id} traces to no knowledge-map item and cites no case report", rule.id))
    return out


def hands_over(rule) -> bool:
    return any(t.action == "clinician_review" for t in rule.recommends)


def coverage(km: KnowledgeMap, rulebook: Rulebook) -> list[dict[str, Any]]:
    """Per source: items, how many a rule decides, how many are handed to the clinician, and the
    share with a rule at all (decided or handed over)."""
    rows = []
    for s in km.sources:
        items = [it for it in km.items if it.source == s.id]
        ok = [it for it in items if it.rules and all(r in rulebook.by_id for r in it.rules)]
        clinician = [it for it in ok if it.clinician]
        rows.append({"source": s.id, "title": s.title, "items": len(items), "decided": len(ok) - len(clinician),
                     "clinician": len(clinician), "differs": sum(1 for it in items if it.differs),
                     "percent": round(100 * len(ok) / len(items), 1) if items else 0.0})
    total = sum(r["items"] for r in rows)
    ok_total = sum(r["decided"] + r["clinician"] for r in rows)
    rows.append({"source": "all", "title": "all sources", "items": total, "decided": sum(r["decided"] for r in rows),
                 "clinician": sum(r["clinician"] for r in rows), "differs": sum(r["differs"] for r in rows),
                 "percent": round(100 * ok_total / total, 1) if total else 0.0})
    return rows


def coverage_table(rows: list[dict[str, Any]]) -> str:
    """The coverage figure as a Markdown table (README's Clinical coverage section)."""
    lines = ["| source | items | decided by a rule | handed to the clinician | sources differ | implemented |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['source']} | {r['items']} | {r['decided']} | {r['clinician']} | {r['differs']} | {r['percent']:g} % |" for r in rows]
    return "\n".join(lines)
