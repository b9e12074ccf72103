"""docs/contract/ documents every key and every value of the contract, and says what the code does.

The tables there are generated (tools/contract_docs.py); these tests fail when a field has no
description, a vocabulary value has no meaning, a model or vocabulary has no table, or the
docs were not regenerated after a change.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import vocab
from advisor.cli import app
from advisor.schemas import json_schema
from advisor.state import PatientState
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
contract_docs = load_tool("contract_docs")

DOC_TEXT = "\n".join(p.read_text(encoding="utf-8") for p in sorted(contract_docs.DOCS.glob("*.md")))
BLOCKS = set(contract_docs.blocks(DOC_TEXT))


def test_generated_tables_are_up_to_date():
    """Every table in docs/contract/ is what tools/contract_docs.py makes of the code now."""
    assert contract_docs.stale_files() == [], "run: python tools/contract_docs.py"


def _enums(schema: dict) -> list[tuple[str, list[str]]]:
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if "enum" in node:
                found.append((where, node["enum"]))
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, where)

    walk(schema, "state")
    return found


def test_every_state_enum_value_has_a_meaning_and_a_table():
    """Each closed vocabulary of the state is one of vocab.MEANINGS (or FEATURES, FINDINGS), with a
    meaning for every value, and has a values table in the docs."""
    documented = {**vocab.MEANINGS, "FEATURES": vocab.FEATURES, "FINDINGS": vocab.FINDINGS}
    for where, values in _enums(json_schema("state")):
        if where.endswith("propertyNames"):
            continue  # the lab keys: documented by the labs table
        name = contract_docs._enum_name(values)
        assert name is not None, f"{where}: values {values} are not in vocab.MEANINGS; add a meaning for each"
        assert f"values:{name}" in BLOCKS, f"docs/contract has no 'values:{name}' table"
    for name, meanings in documented.items():
        values = set(getattr(vocab, name))
        assert not values - set(meanings), f"vocab.MEANINGS[{name!r}] has no meaning for {sorted(values - set(meanings))}"
        assert not set(meanings) - values, f"vocab.MEANINGS[{name!r}] gives meanings for unknown values {sorted(set(meanings) - values)}"
        assert all(m.strip() for m in meanings.values()), name
        assert f"values:{name}" in BLOCKS, f"docs/contract has no 'values:{name}' table"


def test_every_field_has_a_description():
    """Every key of the state, scenario and rulebook formats is described (shown by editors and in the docs)."""
    missing = []
    for kind in ("state", "scenario", "rulebook"):
        schema = json_schema(kind)
        models = {"": schema} | {name: d for name, d in schema.get("$defs", {}).items()
                                 if not name.startswith(("Test", "Pattern"))}  # the rulebook's generated pattern schemas
        for name, model in models.items():
            for key, prop in model.get("properties", {}).items():
                if not prop.get("description"):
                    missing.append(f"{kind}: {name or 'top level'}.{key}")
    assert missing == [], f"add a Field description to: {sorted(set(missing))}"


def test_every_state_and_scenario_model_has_a_fields_table():
    state_models = {"PatientState"} | set(PatientState.model_json_schema()["$defs"])
    scenario_models = {"ScenarioFile", "Case", "Step", "Expect"}
    for name in state_models | scenario_models:
        assert name in contract_docs.MODELS, f"add {name} to MODELS in tools/contract_docs.py"
        assert f"fields:{name}" in BLOCKS, f"docs/contract has no 'fields:{name}' table"


def test_the_tables_show_what_the_code_accepts():
    """A value added to a vocabulary or a unit added to an analyte appears in the docs."""
    assert "| `rash_maculopapular` | skin | 1-3 |" in DOC_TEXT
    assert "| `toxic_epidermal_necrolysis` | skin | 4-5 |" in DOC_TEXT
    assert "| `anc` | 10^9/L | /uL (/ 1000)" in DOC_TEXT
    assert "| `switch_to_sunitinib` | - |" in DOC_TEXT
    assert "| `uln` | number > 0 | no | upper limit of normal" in DOC_TEXT


SHARED = re.compile(r"\.\./shared|shared/(spec|cases|reference)")


def _user_docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", _user_docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_stand_alone(path):
    """No document sends the reader to files outside the repo (../shared)."""
    text = path.read_text(encoding="utf-8")
    assert not SHARED.search(text), f"{path.name} points outside the repo: {SHARED.search(text).group(0)}"


def _commands(group=None, prefix=()):
    import typer.main

    cmd = typer.main.get_command(app) if group is None else group
    yield prefix
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, prefix + (name,))


@pytest.mark.parametrize("words", list(_commands()), ids=lambda w: " ".join(w) or "advisor")
def test_help_stands_alone(words):
    """No --help text sends the reader outside the repo."""
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not SHARED.search(result.output), result.output
