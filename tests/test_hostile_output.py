"""Hostile text in inputs stays text in every output (issue 12, "Injection").

Text from a state, a scenario or a rulebook (ids, deviations, rationales, evidence titles,
versions, URLs, file names, keys quoted in error messages) must never be read as Markdown,
HTML or rich markup, must not fetch anything, and must not reach a terminal as control
sequences (ANSI CSI, OSC window titles or clipboard writes, BEL).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from advisor.cli import app

CORPUS = Path(__file__).resolve().parent / "bad_inputs"

OSC_TITLE = "\x1b]0;owned\x07"
OSC_CLIPBOARD = "\x1b]52;c;ZXZpbA==\x07"
CLEAR = "\x1b[2J"
LINK = "[link=https://evil.example/x]click[/link]"
IMAGE = "![pixel](https://evil.example/pixel.png)"
HTML_IMG = "<img src=x onerror=alert(1)>"
FENCE_BREAK = "\n````\n\n" + HTML_IMG + "\n\n````\n"


def run(*args: str):
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})  # wide: no cell is cut
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def no_control(text: str) -> None:
    bad = [hex(ord(c)) for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0]
    assert not bad, f"control characters reached the output: {bad}\n{text!r}"


def hostile_rulebook(tmp_path: Path) -> Path:
    rb = yaml.safe_load((CORPUS / "ok-rulebook.yaml").read_text())
    rb["rulebook"]["version"] = f"1 {LINK} [/] {OSC_TITLE} <script>alert(1)</script>"
    rb["rulebook"]["title"] = f"Corpus {CLEAR} [bold]base"
    rb["evidence"]["label"].update(
        title=f"Label {IMAGE} [/] {OSC_CLIPBOARD}",
        citation=f"Prescribing information {HTML_IMG} *emph* `code` [ref](javascript:alert(1))",
        url="https://evil.example/a.png)<script>alert(2)</script>")
    rule = rb["rules"][0]
    rule["description"] = f"Hold [/] {LINK} {OSC_TITLE}"
    rule["recommend"][0]["rationale"] = f"The label holds imatinib.{FENCE_BREAK}# Heading {IMAGE} {CLEAR}"
    path = tmp_path / "hostile-rulebook.yaml"
    path.write_text(yaml.safe_dump(rb, allow_unicode=False))
    return path


def hostile_state(tmp_path: Path) -> Path:
    """A valid state whose text closes a Markdown code fence: lines of a quoted flow scalar
    may start with one space and backticks (a fence closer) followed by raw HTML."""
    path = tmp_path / "state-[bold]x[-].yaml"
    path.write_text("imatinib: {status: taking, dose_mg: 400}\n"
                    "adverse_events: [{term: diarrhea, grade: 3, trend: new}]\n"
                    'co_medications: [{class: other, drug: "x\n'
                    " ````\n\n " + HTML_IMG + "\n\n ```````\n"
                    ' "}]\n')
    return path


# -- Markdown and HTML reports ------------------------------------------------------------

ALLOWED_MD_TAGS = {"h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "hr",
                   "table", "thead", "tbody", "tr", "th", "td", "br"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(html: str) -> Tags:
    p = Tags()
    p.feed(html)
    return p


def hostile_report(tmp_path: Path, suffix: str) -> str:
    out = tmp_path / f"report{suffix}"
    res = run("evaluate", "--rulebook", str(hostile_rulebook(tmp_path)), "--report", str(out), str(hostile_state(tmp_path)))
    assert res.exit_code == 0, res.output
    return out.read_text()


def test_markdown_report_renders_no_markup_from_input(tmp_path):
    md = hostile_report(tmp_path, ".md")
    no_control(md)
    page = parse_html(MarkdownIt("commonmark", {"html": True}).enable("table").render(md))
    tags = {t for t, _ in page.tags}
    assert tags <= ALLOWED_MD_TAGS, f"input rendered as markup: {sorted(tags - ALLOWED_MD_TAGS)}"
    attrs = [a for _, a in page.tags if a]
    ours = ({"class": "language-yaml"}, {"class": "language-json"}, {"style": "text-align:right"})
    assert all(a in ours for a in attrs), f"an attribute (src, href, onerror) came from input: {attrs}"
    text = "".join(page.text)
    # the hostile text is still shown, as text
    for shown in ("![pixel](https://evil.example/pixel.png)", "<img src=x onerror=alert(1)>",
                  "https://evil.example/a.png)<script>alert(2)</script>", "# Heading", "*emph*"):
        assert shown in text, shown
    # one heading level-2 per section: nothing from input became a heading
    assert [t for t, _ in page.tags if t == "h1"] == ["h1"]


def test_html_report_renders_no_markup_from_input(tmp_path):
    html = hostile_report(tmp_path, ".html")
    no_control(html)
    page = parse_html(html)
    assert not [t for t, _ in page.tags if t in ("img", "script", "a", "iframe", "link", "object")]
    assert not [a for _, a in page.tags if {"src", "href", "onerror"} & set(a)]
    assert "<img src=x onerror=alert(1)>" in "".join(page.text)


# -- terminal -----------------------------------------------------------------------------

def hostile_scenario(tmp_path: Path, name: str = "scen-[link=https:__x]y[_link].yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({
        "case": {"id": f"case {LINK} [/] {OSC_TITLE}", "title": "t"},
        "steps": [{"id": f"step [/] {CLEAR}",
                   "state": {"imatinib": {"status": "taking", "dose_mg": 400},
                             "adverse_events": [{"term": "diarrhea", "grade": 3, "trend": "new"}]},
                   "expect": {"actions": ["continue_imatinib"]}},
                  {"id": "deviation\x01", "deviation": f"The team went on {LINK} [/] {OSC_CLIPBOARD}\x08\x00 end",
                   "expect": {"actions": ["interrupt_imatinib"]}}]}))
    return path


def test_batch_table_prints_ids_and_deviations_as_text(tmp_path):
    res = run("batch", str(hostile_scenario(tmp_path)))
    assert res.exit_code == 1, res.output  # the steps fail; nothing crashes on "[/]"
    no_control(res.output)
    assert "[/]" in res.stdout and "[link=https://evil.example/x]" in res.stdout
    assert "The team went on [link=https://evil.example/x]click[/link]" in res.stdout
    assert "\\x1b]0;owned\\x07" in res.stdout  # the escape is shown, not acted on


def test_batch_load_error_table_prints_file_names_as_text(tmp_path):
    bad = tmp_path / f"bad-[red]-{CLEAR}.yaml"  # a file name cannot hold "/", so no "[/]" here
    bad.write_text("case: [")
    res = run("batch", str(bad))
    assert res.exit_code == 2, res.output
    no_control(res.output)
    assert "bad-[red]-" in res.stdout


def test_error_messages_escape_control_characters(tmp_path):
    state = tmp_path / f"state{OSC_TITLE}.json"
    state.write_text(json.dumps({"imatinib": {"status": "taking", "dose_mg": 400}, f"key{OSC_CLIPBOARD}{CLEAR}": 1}))
    res = run("evaluate", str(state))
    assert res.exit_code == 2
    no_control(res.stderr)
    assert "unknown key" in res.stderr or "not permitted" in res.stderr or "Extra inputs" in res.stderr, res.stderr


def test_advice_and_explain_print_rulebook_text_as_text(tmp_path):
    rb = str(hostile_rulebook(tmp_path))
    state = str(CORPUS / "ok-state.yaml")
    for args in (["evaluate", "--trace", "--rulebook", rb, state], ["explain", "--rulebook", rb, state, "severe-hold"],
                 ["rules", "list", "--rulebook", rb], ["rules", "show", "--rulebook", rb, "severe-hold"]):
        res = run(*args)
        assert res.exit_code == 0, (args, res.output)
        no_control(res.output)
        assert "[/]" in res.stdout, args


def test_lint_prints_rulebook_text_as_text(tmp_path):
    rb = yaml.safe_load((CORPUS / "ok-rulebook.yaml").read_text())
    rb["rules"][0]["recommend"][0]["action"] = f"halt{OSC_TITLE}"
    path = tmp_path / "rb.yaml"
    path.write_text(yaml.safe_dump(rb))
    res = run("rules", "lint", str(path))
    assert res.exit_code == 2
    no_control(res.output)
    assert "halt" in res.output


# -- JUnit --------------------------------------------------------------------------------

def test_junit_is_well_formed_with_control_characters(tmp_path):
    out = tmp_path / "junit.xml"
    res = run("batch", "--json", "--junit", str(out), str(hostile_scenario(tmp_path, "s\x1bx.yaml")))
    assert res.exit_code == 1, res.output
    root = ET.parse(out).getroot()  # ill-formed XML raises here
    cases = root.iter("testcase")
    names = [c.get("name") for c in cases]
    assert len(names) == 2 and names[0].startswith("step [/] ")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", out.read_text())
