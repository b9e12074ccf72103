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


SUNITINIB = """case: {{id: sunitinib-spelling, title: Progression at the renal cap}}
steps:
  - id: at-cap
    state:
      indication: metastatic
      patient: {{creatinine_clearance_ml_min: 45}}
      imatinib: {{status: taking, dose_mg: 600, schedule: daily}}
      response: {{status: progressive_disease, progression: generalized}}
    expect:
      actions: [{action}]
"""


@pytest.mark.parametrize("action", ["switch_to_sunitinib", "switch_therapy"])
def test_either_spelling_of_the_sunitinib_switch_meets_the_expectation(tmp_path, rulebook, action):
    """The rule recommends switch_therapy {drug: sunitinib}; a step expecting switch_to_sunitinib passes too."""
    path = tmp_path / "s.yaml"
    path.write_text(SUNITINIB.format(action=action), encoding="utf-8")
    step = load_scenario(path, rulebook).steps[0]
    advice = evaluate(step.state, rulebook)
    assert (advice.dosing.action, advice.dosing.params) == ("switch_therapy", {"drug": "sunitinib"})
    assert check_step(step, advice) == ()
