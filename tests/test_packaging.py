"""The package finds its rulebook however it is installed, and the 3.13 build step patches what it should."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from advisor import rulebook as rulebook_module
from advisor.rulebook import BUNDLED_RULEBOOK, default_rulebook_path
from conftest import load_tool

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
build_durable = load_tool("build_durable")


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


def test_an_unloadable_durable_rules_is_a_clear_error(monkeypatch, rulebook):
    """The unpatched release on 3.13 imports with an undefined symbol: say what to do, not a traceback."""
    from advisor import engine
    from advisor.errors import EngineError

    monkeypatch.setitem(sys.modules, "durable_rules_engine", None)  # import now raises ImportError
    with pytest.raises(EngineError, match="tools/build_durable.py"):
        engine._Compiled(rulebook)


def _make_plan(venv: Path, stamp: str | None, python: str | None) -> str:
    """What `make test` would run (make -n) with a venv whose stamp says `stamp`."""
    venv.mkdir(exist_ok=True)
    if stamp is not None:
        (venv / ".installed").write_text(stamp)
        os.utime(venv / ".installed", (2**31, 2**31))  # newer than pyproject.toml, as after an install
    args = ["make", "-n", "test", f"VENV={venv}"] + ([f"PYTHON={python}"] if python else [])
    # under `make test` the outer make passes its PYTHON= and VENV= down through MAKEFLAGS
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES", "MAKELEVEL")}
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env, check=True).stdout


def _interpreter_id() -> str:
    return f"{os.path.realpath(sys.executable)} {platform.python_version()}\n"


@pytest.mark.parametrize(("stamp", "python", "rebuilds"), [
    ("same", "self", False),       # PYTHON names the interpreter that made the venv
    ("other", "self", True),       # PYTHON names another one: the venv is rebuilt
    ("other", None, False),        # no PYTHON given: the venv that exists is kept
    (None, None, True),            # no venv yet
])
def test_make_rebuilds_the_venv_when_python_changes(tmp_path, stamp, python, rebuilds):
    text = {"same": _interpreter_id(), "other": "/usr/bin/python3.99 3.99.0\n", None: None}[stamp]
    plan = _make_plan(tmp_path / "venv", text, sys.executable if python == "self" else None)
    assert ("-m venv" in plan) == rebuilds, plan
