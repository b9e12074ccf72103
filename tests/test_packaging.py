"""The package finds its rulebook however it is installed, and the 3.13 build step patches what it should."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from advisor import rulebook as rulebook_module
from advisor.rulebook import BUNDLED_RULEBOOK, default_rulebook_path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
_spec = importlib.util.spec_from_file_location("build_durable", ROOT / "tools" / "build_durable.py")
build_durable = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_durable)


def test_the_environment_variable_chooses_the_rulebook(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_RULEBOOK", str(tmp_path / "mine.yaml"))
    assert default_rulebook_path() == tmp_path / "mine.yaml"


def test_an_installed_package_reads_its_package_data(monkeypatch, tmp_path):
    """In a wheel the rulebook is advisor/rulebooks/imatinib-gist.yaml, found through importlib.resources."""
    (tmp_path / "rulebooks").mkdir()
    (tmp_path / "rulebooks" / BUNDLED_RULEBOOK).write_text("rulebook: {}\n")
    monkeypatch.delenv("ADVISOR_RULEBOOK", raising=False)
    monkeypatch.setattr(rulebook_module.resources, "files", lambda package: tmp_path)
    assert default_rulebook_path() == tmp_path / "rulebooks" / BUNDLED_RULEBOOK


def test_a_checkout_reads_the_repo_rulebook(monkeypatch):
    monkeypatch.delenv("ADVISOR_RULEBOOK", raising=False)
    assert default_rulebook_path() == ROOT / "rulebooks" / BUNDLED_RULEBOOK


def test_the_wheel_carries_every_package_and_the_rulebook():
    """pyproject.toml lists each package under advisor/ and maps rulebooks/ into advisor/rulebooks."""
    tool = PYPROJECT["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "advisor").rglob("__init__.py")}
    assert set(tool["packages"]) == on_disk | {"advisor.rulebooks"}
    assert tool["package-dir"] == {"advisor.rulebooks": "rulebooks"}
    assert any((ROOT / "rulebooks").glob(pattern) for pattern in tool["package-data"]["advisor.rulebooks"])
    assert (ROOT / "rulebooks" / BUNDLED_RULEBOOK).is_file()


def test_python_dash_m_advisor_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "advisor", "--version"], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imatinib-advisor ")


def _fake_sdist_tree(root: Path, calls: int) -> Path:
    src = root / "durable_rules-2.0.28"
    (src / "src" / "rulespy").mkdir(parents=True)
    (src / "src" / "rulespy" / "rules.c").write_text("x = PyEval_CallObject(callback, arglist);\n" * calls)
    (src / "setup.py").write_text("setup (\n    version = '2.0.28',\n)\n")
    return src


def test_the_313_patch_is_upstreams_change_and_says_so(tmp_path):
    src = _fake_sdist_tree(tmp_path, build_durable.CALL_SITES)
    build_durable.patch(src)
    c = (src / "src" / "rulespy" / "rules.c").read_text()
    assert "PyEval_CallObject" not in c and c.count("PyObject_CallObject(callback, arglist)") == build_durable.CALL_SITES
    assert "version = '2.0.28+pr403'" in (src / "setup.py").read_text()


def test_the_313_patch_refuses_a_source_it_was_not_made_for(tmp_path):
    src = _fake_sdist_tree(tmp_path, 4)
    with pytest.raises(build_durable.BuildError, match="expected 5 calls"):
        build_durable.patch(src)
