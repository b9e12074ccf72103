"""`advisor rules list|show|coverage`: what authors see matches what the engine does."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from advisor import vocab
from advisor.cli import app
from advisor.catalog import rule_detail, rule_rows
from advisor.compiler import compile_rule
from advisor.coverage_matrix import applicable, cell_state, coverage_matrix, evaluate_cell
from advisor.evaluate import evaluate
from advisor.rulebook import load_rulebook
from advisor.state import PatientState

CLEAN = Path(__file__).resolve().parent / "rulebooks" / "clean.yaml"


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_list_json_equals_the_library(rulebook):
    """`rules list --json` prints one row per rule with id, area, priority, actions, evidence."""
    res = run("rules", "list", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["rules"] == rule_rows(rulebook)
    assert [r["id"] for r in data["rules"]] == [r.id for r in rulebook.rules]


def test_list_table_names_every_rule():
    """The table lists each rule of a small rulebook."""
    res = run("rules", "list", "--rulebook", str(CLEAN))
    assert res.exit_code == 0
    for rid in ("hep-episode", "hep-withhold", "hep-mild", "rash-mild"):
        assert rid in res.stdout


def test_show_gives_the_rule_as_written_compiled_and_its_evidence():
    """`rules show` returns the YAML text, the durable-rules form and the full evidence."""
    rb = load_rulebook(CLEAN)
    detail = rule_detail(rb, "hep-withhold")
    assert detail["written"].startswith("  - id: hep-withhold\n")
    assert "interrupt_imatinib" in detail["written"] and "hep-mild" not in detail["written"]
    assert detail["compiled"] == {"hep-withhold": compile_rule(rb.rule("hep-withhold"))}
    assert detail["evidence"] == {"label": {"title": "Label", "kind": "label", "citation": "Imatinib prescribing information"}}
    res = run("rules", "show", "hep-withhold", "--json", "--rulebook", str(CLEAN))
    assert json.loads(res.stdout) == detail
    assert run("rules", "show", "hep-withhold", "--rulebook", str(CLEAN)).exit_code == 0


def test_show_unknown_rule_suggests():
    """An unknown rule id is an error (exit 2) with the nearest ids."""
    res = run("rules", "show", "hep-withold", "--rulebook", str(CLEAN))
    assert res.exit_code == 2
    assert "did you mean 'hep-withhold'" in res.stderr


def test_cell_state_grades_as_intended():
    """A lab-based cell's lab value grades at the cell's grade, so the stated grade agrees."""
    from advisor.grading import grade_labs

    for term in ("alt_increased", "neutrophil_count_decreased", "platelet_count_decreased", "anemia", "creatinine_increased",
                 "blood_bilirubin_increased", "alkaline_phosphatase_increased", "white_blood_cell_decreased"):
        for grade in (1, 2, 3, 4):
            state = PatientState.model_validate(cell_state(term, grade, "taking"))
            derived = grade_labs(state).grade_of(term)
            if state.labs:
                assert derived is not None and derived.grade == grade, (term, grade, derived)


def test_cell_is_what_the_engine_decides(rulebook):
    """A cell carries the dosing decision of evaluating its state, not a reading of the YAML."""
    cell = evaluate_cell(rulebook, "alt_increased", 3, "taking")
    advice = evaluate(PatientState.model_validate(cell_state("alt_increased", 3, "taking")), rulebook)
    assert (cell.rule, cell.action) == (advice.dosing.rule, advice.dosing.action)
    assert not cell.gap


def test_gaps_overlaps_and_not_applicable():
    """A state no dosing rule covers is a gap; two dosing rules disagreeing an overlap; capped grades n/a."""
    rb = load_rulebook(CLEAN)
    m = coverage_matrix(rb, ("alt_increased", "nausea", "rash_maculopapular"))
    assert len(m.cells) == 3 * 5 * 3
    assert m.cell("alt_increased", 1, "taking").rule == "hep-mild"
    assert m.cell("nausea", 2, "taking").gap and m.cell("nausea", 2, "taking").rule == "no-rule-applies"
    assert not m.cell("nausea", 4, "taking").applicable and not applicable("nausea", 4)
    hold = m.cell("rash_maculopapular", 3, "taking")
    assert hold.gap and hold.rule == "safety-layer"
    assert m.cell("rash_maculopapular", 1, "interrupted").rule == "rash-mild"
    assert m.exit_code == 1


def test_overlap_is_flagged(tmp_path):
    """Rules proposing different dosing decisions in one cell are listed as the overlap."""
    text = CLEAN.read_text().replace("ae: {term: alt_increased, grade: {lte: 2}}", "ae: {term: alt_increased}")
    path = tmp_path / "overlap.yaml"
    path.write_text(text)
    cell = evaluate_cell(load_rulebook(path), "alt_increased", 3, "taking")
    assert cell.rule == "hep-withhold" and cell.overlap == ("hep-mild",)


def test_bundled_matrix_covers_every_term_grade_and_status(rulebook):
    """All spec terms x grades 1-5 x three statuses; CTCAE-impossible grades are n/a."""
    m = coverage_matrix(rulebook)
    assert len(m.cells) == len(vocab.AE_TERMS) * 5 * 3
    assert all(c.applicable == applicable(c.term, c.grade) for c in m.cells)
    assert all(c.rule for c in m.cells if c.applicable)


def test_coverage_cli_json_equals_the_library():
    """`rules coverage --json` prints the matrix the library computes; --fail-on-gaps sets the exit code."""
    rb = load_rulebook(CLEAN)
    res = run("rules", "coverage", "--json", "--rulebook", str(CLEAN), "--term", "alt_increased", "--status", "taking")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == coverage_matrix(rb, ("alt_increased",), ("taking",)).to_json()
    res = run("rules", "coverage", "--rulebook", str(CLEAN), "--fail-on-gaps")
    assert res.exit_code == 1
    assert "GAP" in res.stdout and "gaps in grades 1-4 while taking" in res.stdout


def test_coverage_cli_rejects_unknown_status_and_term():
    """Unknown names are errors with suggestions (exit 2)."""
    assert run("rules", "coverage", "--status", "takin").exit_code == 2
    res = run("rules", "coverage", "--term", "diarhea")
    assert res.exit_code == 2 and "diarrhea" in res.stderr
