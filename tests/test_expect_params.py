"""`expect.params` (docs/scenario-format-additions.md): the dosing decision's parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import InputError
from advisor.evaluate import evaluate
from advisor.scenarios import check_step, load_scenario

SCENARIO = """case: {{id: params-test, title: D842V}}
steps:
  - id: d842v
    state:
      indication: metastatic
      mutation: pdgfra_d842v
      imatinib: {{status: taking, dose_mg: 400, schedule: daily}}
    expect:
      actions: [switch_therapy]
      params: {params}
"""


def _step(tmp_path: Path, params: str, rulebook):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(params=params), encoding="utf-8")
    step = load_scenario(path, rulebook).steps[0]
    return check_step(step, evaluate(step.state, rulebook))


def test_matching_drug_passes(tmp_path, rulebook):
    assert _step(tmp_path, "{drug: avapritinib}", rulebook) == ()


def test_other_drug_fails_with_what_differed(tmp_path, rulebook):
    assert _step(tmp_path, "{drug: sunitinib}", rulebook) == (
        "dosing parameter drug is 'avapritinib', expected 'sunitinib' (switch_therapy)",)


def test_unknown_parameter_is_a_load_error(tmp_path, rulebook):
    with pytest.raises(InputError, match="unknown dosing parameter 'drugs'.*did you mean 'drug'"):
        _step(tmp_path, "{drugs: avapritinib}", rulebook)


def test_params_must_be_a_mapping(tmp_path, rulebook):
    with pytest.raises(InputError, match="'params' must be a mapping"):
        _step(tmp_path, "[avapritinib]", rulebook)
