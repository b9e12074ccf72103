"""`advisor rules lint`: each kind of problem is found where a seeded rulebook marks it."""

from __future__ import annotations

import json

import yaml
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.lint import CHECKS, ERROR, WARNING, lint, lint_file

HERE = Path(__file__).resolve().parent
SEEDED = HERE / "rulebooks"
ROOT = HERE.parent
MARK = re.compile(r"#\s*lint:\s*([a-z-]+(?:\s*,\s*[a-z-]+)*)")


def marked(path: Path) -> set[tuple[int, str]]:
    """(line, check) of every `# lint: check` mark in a seeded rulebook."""
    out = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = MARK.search(line)
        if m:
            out |= {(n, c.strip()) for c in m.group(1).split(",")}
    return out


@pytest.mark.parametrize("path", sorted(SEEDED.glob("*.yaml")), ids=lambda p: p.name)
def test_seeded_problems_are_found_on_their_lines(path):
    """Every marked problem is reported on its line, and nothing else is."""
    found = {(p.line, p.check) for p in lint_file(path)}
    assert found == marked(path)


def test_seeded_rulebook_has_every_kind_of_problem():
    """The seeded rulebook exercises every check except 'format'."""
    checks = {c for _, c in marked(SEEDED / "seeded.yaml")}
    assert checks == set(CHECKS) - {"format"}


def test_severities():
    """Errors for what breaks the rulebook; warnings for what the safety layer resolves."""
    assert {c for c, k in CHECKS.items() if k.severity == WARNING} == {"unused-evidence", "dosing-conflict"}
    assert all(p.severity == CHECKS[p.check].severity for p in lint_file(SEEDED / "seeded.yaml"))


def test_bundled_rulebooks_have_no_errors():
    """CI lints the bundled rulebooks; warnings are allowed, errors are not."""
    result = lint(sorted((ROOT / "rulebooks").glob("*.yaml")))
    assert [str(p) for p in result.problems if p.severity == ERROR] == []
    assert result.exit_code == 0


def test_format_problems_are_reported_with_the_rest(tmp_path):
    """A rulebook that does not load still gets every problem at once, each with its line."""
    text = (SEEDED / "clean.yaml").read_text().replace("area: skin", "area: skn").replace("priority: 9", "priority: high")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    problems = lint_file(bad)
    assert [p.check for p in problems] == ["format", "format"]
    assert all(p.line > 1 for p in problems)
    assert "did you mean 'skin'" in problems[1].message


def test_unreadable_file_is_one_problem(tmp_path):
    """A missing file or broken YAML is one located error, not a traceback."""
    assert [p.check for p in lint_file(tmp_path / "nope.yaml")] == ["format"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n")
    (p,) = lint_file(broken)
    assert p.severity == ERROR and p.file == str(broken)


def test_cli_prints_yamllint_style_and_exits_2_when_a_rulebook_does_not_load():
    """`file:line: [severity] message (check)` on stdout; exit 2 when a rulebook would not even load."""
    res = CliRunner().invoke(app, ["rules", "lint", str(SEEDED / "seeded.yaml"), str(SEEDED / "clean.yaml")])
    assert res.exit_code == 2
    lines = res.stdout.strip().splitlines()
    assert lines and all(re.match(r"^\S+:\d+: \[(error|warning)\] .+ \([a-z-]+\)$", line) for line in lines)


def test_cli_clean_and_json():
    """A clean rulebook exits 0; --json equals what the library returns."""
    clean = str(SEEDED / "clean.yaml")
    assert CliRunner().invoke(app, ["rules", "lint", clean]).exit_code == 0
    res = CliRunner().invoke(app, ["rules", "lint", "--json", str(SEEDED / "seeded.yaml")])
    assert json.loads(res.stdout) == lint([SEEDED / "seeded.yaml"]).to_json()


def test_cli_default_is_the_bundled_rulebook():
    """Without arguments the bundled rulebook is linted."""
    res = CliRunner().invoke(app, ["rules", "lint"])
    assert res.exit_code == 0, res.stdout


def test_cli_exits_1_on_lint_only_errors(tmp_path):
    """A rulebook that loads but has a rule that can never fire: exit 1, not 2."""
    text = (SEEDED / "clean.yaml").read_text()
    rb = yaml.safe_load(text)
    rule = dict(rb["rules"][0])
    rule["id"] = "never-fires"
    rule["when"] = [{"ae": {"grade": {"gte": 3, "lte": 2}}}]
    rb["rules"].append(rule)
    f = tmp_path / "lint-only.yaml"
    f.write_text(yaml.safe_dump(rb, sort_keys=False))
    res = CliRunner().invoke(app, ["rules", "lint", str(f)])
    assert res.exit_code == 1, res.stdout
    assert "(never-fires)" in res.stdout or "never" in res.stdout
