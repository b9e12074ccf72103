"""The knowledge map and the rulebook trace to each other; the coverage figure is the README's."""

from __future__ import annotations

import re

import pytest
import yaml

from advisor.knowledge import check, coverage, coverage_table, load_map, map_path
from advisor.lint import lint_file
from tests.conftest import ROOT

MAP = ROOT / "knowledge" / "imatinib-gist.yaml"


@pytest.fixture
def raw_map() -> dict:
    """A fresh copy per test: tests damage it."""
    return yaml.safe_load(MAP.read_text(encoding="utf-8"))


def _check(tmp_path, data: dict, rulebook) -> list[str]:
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return [p.message for p in check(load_map(path), rulebook)]


def test_bundled_map_is_found_beside_the_rulebook(rulebook):
    assert map_path(rulebook.source) == MAP.resolve()


def test_bundled_map_and_rulebook_trace_to_each_other(rulebook):
    """Every item has a rule that exists, every clinician item a rule that hands over, every rule an item."""
    assert [str(p.__dict__) for p in check(load_map(MAP), rulebook)] == []


def test_item_without_rule_fails(tmp_path, raw_map, rulebook):
    raw_map["items"][0]["rules"] = []
    assert any("has no rule" in m for m in _check(tmp_path, raw_map, rulebook))


def test_item_naming_an_unknown_rule_fails(tmp_path, raw_map, rulebook):
    raw_map["items"][0]["rules"] = ["no-such-rule"]
    assert any("'no-such-rule' is not in the rulebook" in m for m in _check(tmp_path, raw_map, rulebook))


def test_clinician_item_needs_a_rule_that_hands_over(tmp_path, raw_map, rulebook):
    """An item marked for the clinician whose rules never recommend clinician_review fails."""
    item = raw_map["items"][0]
    item["clinician"] = "say why"
    assert "clinician_review" not in str(rulebook.by_id[item["rules"][0]].recommends)
    assert any("none of its rules recommends clinician_review" in m for m in _check(tmp_path, raw_map, rulebook))


def test_rule_tracing_to_no_item_fails(tmp_path, raw_map, rulebook):
    """Drop every item naming the renal start rule: that rule (no case report behind it) is untraced."""
    raw_map["items"] = [it for it in raw_map["items"] if "renal-start-moderate" not in it["rules"]]
    assert any("rule renal-start-moderate traces to no knowledge-map item" in m for m in _check(tmp_path, raw_map, rulebook))


def test_rule_citing_a_case_report_needs_no_item(tmp_path, raw_map, rulebook):
    """A rule grounded in a case report is traced through its citation."""
    case_rule = "hep-steroid-biopsy"
    assert any(rulebook.evidence[e].kind == "case_report" for t in rulebook.by_id[case_rule].recommends for e in t.evidence)
    for it in raw_map["items"]:
        it["rules"] = [r for r in it["rules"] if r != case_rule] or ["hep-withhold"]
    assert not any(case_rule in m for m in _check(tmp_path, raw_map, rulebook))


def test_difference_between_sources_needs_a_choice(tmp_path, raw_map, rulebook):
    item = next(it for it in raw_map["items"] if "differs" in it)
    del item["choice"]
    assert any("what was chosen and why" in m for m in _check(tmp_path, raw_map, rulebook))


def test_lint_reports_the_map(tmp_path, rulebook):
    """The bundled rulebook lints clean with its map (the knowledge-map check runs in make test)."""
    assert [str(p) for p in lint_file(rulebook.source) if p.check == "knowledge-map"] == []


def test_map_covers_the_label_sections_the_brief_names(raw_map):
    """US sections 2, 5, 7, 8 and EU 4.2, 4.4, 4.5, 4.6 each have items; the guidelines cover every setting."""
    sections = {(it["source"], it["section"].split(" ")[0]) for it in raw_map["items"]}
    for sec in ("2", "5", "7", "8"):
        assert ("us-pi", sec) in sections, sec
    for sec in ("4.2", "4.4", "4.5", "4.6"):
        assert ("eu-smpc", sec) in sections, sec
    text = " ".join(it["statement"] for it in raw_map["items"] if it["source"] == "esmo-2022").lower()
    for topic in ("pre-operative", "adjuvant", "rupture", "exon 9", "d842v", "sdh-deficient", "limited progression",
                  "plasma levels", "sunitinib", "regorafenib", "ripretinib", "avapritinib"):
        assert topic in text, topic


def test_where_labels_differ_the_map_says_so(raw_map):
    """Renal dosing, hepatic impairment, the inducer dose increase and lactation differ between US and EU."""
    differing = {it["id"] for it in raw_map["items"] if it.get("differs")}
    assert {"us-2-renal-start", "us-2-hepatic-impairment", "us-2-inducer-dose", "us-8-lactation"} <= differing


def test_readme_shows_the_current_coverage_figure(rulebook):
    """The README's Clinical coverage table is what `advisor rules map` prints today."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"## Clinical coverage\n(.*?)(?=\n## )", readme, re.S)
    assert section, "README has no 'Clinical coverage' section"
    assert coverage_table(coverage(load_map(MAP), rulebook)) in section.group(1)


def test_coverage_counts_items_per_source(tmp_path, raw_map, rulebook):
    """An item with an unknown rule is not counted as implemented; the figure falls below 100 %."""
    raw_map["items"][0]["rules"] = ["no-such-rule"]
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(raw_map, sort_keys=False), encoding="utf-8")
    rows = {r["source"]: r for r in coverage(load_map(path), rulebook)}
    src = raw_map["items"][0]["source"]
    n = sum(1 for it in raw_map["items"] if it["source"] == src)
    assert rows[src]["items"] == n
    assert rows[src]["percent"] == round(100 * (n - 1) / n, 1)
    assert rows["all"]["items"] == len(raw_map["items"])
