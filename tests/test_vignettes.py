"""Made-up clinical vignettes (examples/vignettes/) replay as the clinical reference says they should.

Each vignette is one clinical pattern of the clinical reference (label, CTCAE v5, guidelines),
with expectations taken from that reference, not from the advisor's output. Three steps first
disagreed with the rulebook (liver failure shown by INR, Hy's law still above the resume
thresholds, a grade 3 episode recorded in history); the rulebook was fixed, and they now replay
here with the rest.
"""

from __future__ import annotations

import pytest

from advisor.evaluate import get_rulebook
from advisor.scenarios import load_scenario, run_batch
from conftest import ROOT

VIGNETTE_DIR = ROOT / "examples" / "vignettes"
VIGNETTES = sorted(VIGNETTE_DIR.glob("*.yaml"))
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

# Measured: scenarios/ alone fire 43 rules; scenarios/ plus examples/vignettes/ fire 80 of 104.
MIN_COMBINED_RULES_FIRED = 80
SOURCES = ("clinical.md", "US label", "EU SmPC", "ESMO", "NCCN")


@pytest.fixture(scope="module")
def vignette_batch():
    return run_batch(VIGNETTES, get_rulebook())


def test_there_are_enough_vignettes():
    """At least a dozen clinical patterns beyond the five case reports."""
    assert len(VIGNETTES) >= 12, [f.name for f in VIGNETTES]


@pytest.mark.parametrize("path", VIGNETTES, ids=lambda p: p.stem)
def test_vignette_replays_with_no_failed_step(path):
    """Every step of every vignette gets the advice clinical.md expects."""
    result = run_batch([path], get_rulebook())
    assert result.load_errors == (), result.load_errors
    failed = [(r.step, r.problems) for r in result.results if r.result != "pass"]
    assert failed == [], failed


def test_all_vignettes_together_load_and_pass(vignette_batch):
    s = vignette_batch.summary
    assert s["errors"] == 0 and s["failed"] == 0 and s["deviations"] == 0, s
    assert vignette_batch.exit_code == 0


@pytest.mark.parametrize("path", VIGNETTES, ids=lambda p: p.stem)
def test_vignette_shape(path, rulebook):
    """2-5 steps, each naming the source it rests on (a clinical.md section, or a label section or
    guideline of the knowledge map); case evidence given."""
    sc = load_scenario(path, rulebook)
    assert sc.evidence in rulebook.evidence
    assert 2 <= len(sc.steps) <= 5, len(sc.steps)
    for st in sc.steps:
        assert st.summary and any(src in st.summary for src in SOURCES), st.id
        assert st.deviation is None, "a vignette states the rule, not a team's departure from it"


def test_case_ids_unique_and_distinct_from_case_reports(rulebook):
    report_ids = {load_scenario(f, rulebook).case_id for f in SCENARIOS}
    ids = [load_scenario(f, rulebook).case_id for f in VIGNETTES]
    assert len(ids) == len(set(ids))
    assert not set(ids) & report_ids


def test_combined_coverage_of_case_reports_and_vignettes(rulebook):
    result = run_batch(SCENARIOS + VIGNETTES, rulebook)
    assert result.summary["failed"] == 0 and result.summary["errors"] == 0
    fired = result.coverage_summary["fired"]
    assert fired >= MIN_COMBINED_RULES_FIRED, (
        f"{fired} of {result.coverage_summary['rules']} rules fired; never: {result.never_fired}")
