"""The reference tables of docs/contract/, generated from the code so that they cannot drift.

Each table sits between `<!-- generated: NAME -->` and `<!-- end generated -->` in a file of
docs/contract/; the prose around it is written by hand. Field tables come from the pydantic
models (their Field descriptions), value tables from advisor/vocab.py (vocab.MEANINGS,
FEATURES, FINDINGS, ACTIONS) and the lab table from advisor/units.py.

    python tools/contract_docs.py          # rewrite the tables in docs/contract/*.md
    python tools/contract_docs.py --check  # exit 1 when a table is out of date

tests/test_contract_docs.py runs the check.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from advisor import schemas, state, vocab
from advisor.units import ANALYTES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "contract"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w:.-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)

MODELS: dict[str, type[BaseModel]] = {
    "PatientState": state.PatientState, "Patient": state.Patient, "Imatinib": state.Imatinib,
    "AdverseEvent": state.AdverseEvent, "Lab": state.Lab, "Comedication": state.Comedication,
    "Response": state.Response, "HistoryItem": state.HistoryItem, "Surgery": state.Surgery, "PriorLine": state.PriorLine,
    "ScenarioFile": schemas.ScenarioFile, "Case": schemas.Case, "Step": schemas.Step, "Expect": schemas.Expect,
}
# Vocabularies whose values are too many to list in a field's row: the row points at their table.
LONG = {"AE_TERMS": "a CTCAE term", "FEATURES": "features", "FINDINGS": "findings"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _enum_name(values: list[str]) -> str | None:
    """The vocab name of a set of enum values, when it is one of the documented vocabularies."""
    for name in list(vocab.MEANINGS) + ["FEATURES", "FINDINGS"]:
        if set(values) == set(getattr(vocab, name)):
            return name
    return None


def _bounds(p: dict[str, Any]) -> str:
    lo = f">= {p['minimum']}" if "minimum" in p else f"> {p['exclusiveMinimum']}" if "exclusiveMinimum" in p else ""
    hi = f"<= {p['maximum']}" if "maximum" in p else ""
    return ", ".join(b for b in (lo, hi) if b)


def type_text(p: dict[str, Any]) -> str:
    """A JSON Schema property as a reader says it: 'integer >= 0, <= 120', 'list of features'."""
    if "anyOf" in p:
        parts = [type_text(a) for a in p["anyOf"] if a.get("type") != "null"]
        return " or ".join(parts)
    if "$ref" in p:
        return f"mapping ({p['$ref'].rsplit('/', 1)[-1]})"
    if "enum" in p:
        if len(p["enum"]) > 8 and set(p["enum"]) <= set(vocab.ACTIONS):
            return "action code"
        name = _enum_name(p["enum"])
        if name in LONG:
            return LONG[name]
        return "one of " + ", ".join(f"`{v}`" for v in p["enum"])
    if p.get("type") == "object" and isinstance(p.get("additionalProperties"), dict) and "$ref" in p["additionalProperties"]:
        return f"mapping of key to {type_text(p['additionalProperties'])}"
    if p.get("type") == "array":
        items = p.get("items", {})
        inner = type_text(items)
        return f"list of {inner}" if inner else "list"
    kind = {"integer": "integer", "number": "number", "string": "text", "boolean": "true/false", "object": "mapping"}.get(p.get("type", ""), "")
    bounds = _bounds(p)
    return f"{kind} {bounds}".strip() if kind else bounds


def fields_table(model: type[BaseModel]) -> str:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    rows = ["| key | type | required | meaning |", "|---|---|---|---|"]
    for key, prop in schema["properties"].items():
        kind = type_text(prop)
        if key == "term":
            kind = LONG["AE_TERMS"]
        default = prop.get("default")
        need = "yes" if key in required else (f"no (default `{default}`)" if default not in (None, [], {}) and not isinstance(default, dict) else "no")
        rows.append(f"| `{key}` | {_cell(kind)} | {need} | {_cell(prop.get('description', ''))} |")
    return "\n".join(rows) + "\n"


def values_table(name: str) -> str:
    if name == "AE_TERMS":
        rows = ["| term | area | grades | meaning |", "|---|---|---|---|"]
        for term, area in vocab.AE_TERMS.items():
            lo, hi = vocab.MIN_GRADE.get(term, 1), vocab.MAX_GRADE.get(term, 5)
            rows.append(f"| `{term}` | {area} | {lo}-{hi} | {_cell(vocab.MEANINGS['AE_TERMS'].get(term, ''))} |")
        return "\n".join(rows) + "\n"
    meanings = vocab.MEANINGS.get(name) or getattr(vocab, name)
    rows = ["| value | meaning |", "|---|---|"] + [f"| `{v}` | {_cell(meanings.get(v, ''))} |" for v in getattr(vocab, name)]
    return "\n".join(rows) + "\n"


def labs_table() -> str:
    rows = ["| key | canonical unit | also accepted (conversion) |", "|---|---|---|"]
    for a in ANALYTES.values():
        other = [f"{u} ({a.conversion_text[u]})" if a.conversion_text[u] else u for u in a.conversions if u != a.canonical]
        rows.append(f"| `{a.key}` | {a.canonical} | {_cell(', '.join(other)) or '-'} |")
    return "\n".join(rows) + "\n"


def actions_table(kind: str) -> str:
    rows = ["| code | params | meaning |", "|---|---|---|"]
    for a in vocab.ACTIONS.values():
        if a.kind == kind:
            params = ", ".join(f"`{p}`" for p in a.params) or "-"
            rows.append(f"| `{a.code}` | {params} | {_cell(a.meaning)} |")
    return "\n".join(rows) + "\n"


def render(name: str) -> str:
    """The text of one generated block: fields:MODEL, values:VOCAB, labs or actions:KIND."""
    kind, _, arg = name.partition(":")
    makers: dict[str, Callable[[], str]] = {
        "fields": lambda: fields_table(MODELS[arg]),
        "values": lambda: values_table(arg),
        "labs": labs_table,
        "actions": lambda: actions_table(arg),
    }
    return makers[kind]()


def regenerate(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("name")) + m.group(4), text)


def blocks(text: str) -> list[str]:
    return [m.group("name") for m in BLOCK.finditer(text)]


def stale_files() -> list[Path]:
    return [p for p in sorted(DOCS.glob("*.md")) if regenerate(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        for p in stale:
            print(f"{p}: generated tables are out of date; run python tools/contract_docs.py", file=sys.stderr)
        return 1 if stale else 0
    for p in sorted(DOCS.glob("*.md")):
        text = p.read_text(encoding="utf-8")
        new = regenerate(text)
        if new != text:
            p.write_text(new, encoding="utf-8")
            print(f"rewrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
