"""JSON Schemas for editors: generated from the models, shipped in schemas/, met by every bundled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from advisor.cli import app
from advisor.schemas import MODELS, RulebookFile, ScenarioFile, json_schema, schema_text
from advisor.state import PatientState

ROOT = Path(__file__).resolve().parent.parent
# jsonschema is not installed here: bundled files are validated with the pydantic models the
# schemas are generated from.


def _yaml_files(*folders: Path) -> list[Path]:
    return sorted(p for f in folders if f.is_dir() for p in f.rglob("*") if p.suffix in (".yaml", ".yml"))


def _kind(path: Path) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "steps" in data:
        return "scenario"
    return "rulebook" if "rules" in data else "state"


BUNDLED = _yaml_files(ROOT / "rulebooks", ROOT / "scenarios", ROOT / "examples")


@pytest.mark.parametrize("kind", ["state", "scenario", "rulebook"])
def test_shipped_schema_is_up_to_date(kind):
    """schemas/<kind>.schema.json is what `advisor schema <kind>` prints (regenerate when it differs)."""
    assert (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8") == schema_text(kind)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_bundled_files_meet_their_schema(path):
    """Every bundled rulebook, scenario and state file validates against its model."""
    MODELS[_kind(path)].model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_state_schema_is_the_models():
    """The state schema is PatientState's, with the term and lab vocabularies for completion."""
    schema = json_schema("state")
    assert schema["properties"].keys() == PatientState.model_json_schema()["properties"].keys()
    assert "alt_increased" in schema["$defs"]["AdverseEvent"]["properties"]["term"]["enum"]
    assert "alt" in schema["properties"]["labs"]["propertyNames"]["enum"]


def test_scenario_step_state_is_partial():
    """A step's state lists the state keys but requires none (it is merged over the last step)."""
    schema = json_schema("scenario")
    partial = schema["$defs"]["PartialPatientState"]
    assert "imatinib" in partial["properties"] and "required" not in json.dumps(partial)
    assert schema["$defs"]["Step"]["properties"]["state"]["$ref"] == "#/$defs/PartialPatientState"


def test_rulebook_schema_completes_fact_types():
    """Patterns offer the built-in fact types and their fields."""
    schema = json_schema("rulebook")
    assert "ae" in schema["$defs"]["Pattern"]["properties"]
    assert "grade" in schema["$defs"]["Tests_ae"]["properties"]


def test_models_reject_what_the_loaders_reject():
    """Unknown keys, unknown action codes and a rule without a rationale fail validation."""
    with pytest.raises(ValidationError):
        ScenarioFile.model_validate({"case": {"id": "x"}, "steps": [{"id": "a", "expect": {"actions": ["stop_now"]}}]})
    with pytest.raises(ValidationError):
        ScenarioFile.model_validate({"case": {"id": "x"}, "steps": [{"id": "a", "expect": {}, "stat": {}}]})
    rb = yaml.safe_load((ROOT / "tests" / "rulebooks" / "clean.yaml").read_text())
    RulebookFile.model_validate(rb)
    del rb["rules"][1]["recommend"][0]["rationale"]
    with pytest.raises(ValidationError):
        RulebookFile.model_validate(rb)


def test_cli_prints_and_writes_schemas(tmp_path):
    """`advisor schema KIND` prints JSON; -o writes it; an unknown kind exits 2 with a suggestion."""
    runner = CliRunner()
    res = runner.invoke(app, ["schema", "state"])
    assert res.exit_code == 0 and json.loads(res.stdout) == json_schema("state")
    out = tmp_path / "s.json"
    assert runner.invoke(app, ["schema", "rulebook", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == json_schema("rulebook")
    res = runner.invoke(app, ["schema", "scenaro"])
    assert res.exit_code == 2 and "scenario" in res.stderr
