"""Shared test helpers that speak the domain."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor.evaluate import evaluate, get_rulebook
from advisor.state import state_from_data
from advisor.yamlio import parse_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load_tool(name: str):
    """A script of tools/ as a module (tools/ is not a package: its scripts run before an install)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rulebook():
    return get_rulebook()


def state_of(text_or_data: str | dict[str, Any]):
    """A PatientState from YAML text or a dict, validated like a file."""
    text = text_or_data if isinstance(text_or_data, str) else yaml.safe_dump(text_or_data)
    doc = parse_text(text, "<test>")
    return state_from_data(doc.data, doc)


def advise(state: str | dict[str, Any]):
    return evaluate(state_of(state), get_rulebook())


def assert_advice(state: str | dict[str, Any], dosing: str | None = None, dose_mg: int | None = None,
                  includes: tuple[str, ...] = (), excludes: tuple[str, ...] = (), cites: tuple[str, ...] = ()):
    """Evaluate a vignette and check the dosing decision, other actions and citations."""
    advice = advise(state)
    actions = advice.actions()
    if dosing is not None:
        assert advice.dosing.action == dosing, f"dosing {advice.dosing.action} != {dosing}; all: {actions}"
    if dose_mg is not None:
        assert advice.dosing.params.get("dose_mg") == dose_mg, advice.dosing.params
    for a in includes:
        assert a in actions, f"{a} missing from {actions}"
    for a in excludes:
        assert a not in actions, f"{a} present in {actions}"
    for e in cites:
        assert e in advice.cited(), f"{e} not cited; cited: {sorted(advice.cited())}"
    return advice
