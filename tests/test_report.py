"""--report FILE.html / FILE.md: a self-contained report a clinician can attach to a chart."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import DISCLAIMER
from advisor.cli import app
from advisor.evaluate import evaluate_file, get_rulebook
from advisor.render.report import write_report

from test_explain import EXAMPLE, HEPATITIS


class Page(HTMLParser):
    """Collects what the tests look for: tags, attributes, text per element id and class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[dict[str, str | None]] = []
        self.text_in: dict[str, list[str]] = {}
        self.actions: list[str] = []
        self.evidence: dict[str, str] = {}
        self._ev: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("meta", "br", "link", "img", "input"):
            return
        self.stack.append(a)
        if a.get("data-action"):
            self.actions.append(a["data-action"])
        if a.get("data-evidence"):
            self._ev = a["data-evidence"]
            self.evidence[self._ev] = ""

    def handle_endtag(self, tag):
        if tag in ("meta", "br", "link", "img", "input"):
            return
        a = self.stack.pop() if self.stack else {}
        if a.get("data-evidence"):
            self._ev = None

    def handle_data(self, data):
        for a in self.stack:
            if a.get("id"):
                self.text_in.setdefault(a["id"], []).append(data)
        if self._ev:
            self.evidence[self._ev] += data

    def section(self, ident: str) -> str:
        return " ".join("".join(self.text_in.get(ident, [])).split())


@pytest.fixture
def hepatitis_file(tmp_path: Path) -> Path:
    p = tmp_path / "hepatitis.yaml"
    p.write_text(HEPATITIS)
    return p


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_html_report_is_self_contained_and_complete(tmp_path, hepatitis_file):
    """Parsed HTML: no external resources or scripts; recommendations, full citations, notice, rulebook, trace."""
    advice = evaluate_file(hepatitis_file)
    out = tmp_path / "report.html"
    write_report(advice, out, hepatitis_file)
    page = parse(out)
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "img", "object", "embed"), tag
        for key in ("src", "href", "action", "data"):
            assert not (attrs.get(key) or "").lower().startswith(("http", "//")), (tag, attrs)
    assert "http" not in "".join(a.get("src", "") or "" for _, a in page.tags)
    assert page.actions == advice.actions()
    rb = get_rulebook(advice.rulebook.source)
    for e in advice.cited():
        text = " ".join(page.evidence[e].split())
        assert rb.evidence[e].title in text and rb.evidence[e].citation in text, e
    recs = page.section("recommendations")
    for r in advice.recommendations:
        assert " ".join(r.rationale.split()) in recs and r.rule in recs
    assert DISCLAIMER in page.section("notice")
    for w in advice.warnings:
        assert w in page.section("warnings")
    for d in advice.derived:
        assert d.term in page.section("grades") and d.basis in page.section("grades")
    html = out.read_text()
    assert advice.rulebook.sha256 in html and advice.rulebook.version in html
    trace = page.section("trace")
    for rule in advice.fired_rules():
        assert rule in trace
    assert "alt: {value: 320" in page.section("state")


def test_markdown_report_has_the_same_content(tmp_path, hepatitis_file):
    """The Markdown report carries recommendations, citations, warnings, trace, rulebook and notice."""
    advice = evaluate_file(hepatitis_file)
    out = tmp_path / "report.md"
    write_report(advice, out, hepatitis_file)
    text = out.read_text()
    plain = text.replace("\\", "")
    rb = get_rulebook(advice.rulebook.source)
    assert DISCLAIMER in text and advice.rulebook.sha256 in text
    for r in advice.recommendations:
        assert r.rationale in plain and r.rule in plain
    for e in advice.cited():
        assert rb.evidence[e].title in plain and rb.evidence[e].citation in plain
    for rule in advice.fired_rules():
        assert rule in plain
    assert "## Trace of the rule run" in text


def test_cli_writes_report_and_still_prints_advice(tmp_path):
    """`advisor evaluate STATE --report FILE.html` writes the file atomically and prints the advice."""
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--report", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert out.is_file() and "continue_imatinib" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left behind


def test_cli_unknown_report_format_exits_2(tmp_path):
    """An unsupported suffix is a user error naming the supported formats."""
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "--report", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2
    assert ".html" in result.output and not os.path.exists(tmp_path / "r.pdf")


def test_report_without_state_file_lists_input_facts(tmp_path):
    """Without the state file the report still shows the facts built from it."""
    advice = evaluate_file(EXAMPLE)
    out = tmp_path / "r.html"
    write_report(advice, out)
    assert '"dose_mg": 400' in parse(out).section("state")
