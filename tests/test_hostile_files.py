"""Hostile files and processes (issue 12, "Files and processes").

Outputs never replace a link, a FIFO, a device or an input; reads never block on a FIFO or
read a device or a huge file to the end; a dead batch worker is an error, not a hang;
broken pipes, closed or non-UTF-8 standard output end quietly or with one clear message.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor import scenarios
from advisor.cli import app

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
OK_SCENARIO = CORPUS / "ok-scenario.yaml"
OK_STATE = CORPUS / "ok-state.yaml"
ADVISOR = [str(Path(sys.executable).with_name("advisor"))]
HANG = 60  # seconds after which a child is taken to hang (the commands here take about one)


def run(*args: str):
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "400"})
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def child(args: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(ADVISOR + [str(a) for a in args], stderr=subprocess.PIPE, timeout=HANG, **kw)


def scenario_copy(folder: Path, name: str = "s.yaml") -> Path:
    p = folder / name
    p.write_text(OK_SCENARIO.read_text().replace("corpus-control", f"control-{name.split('.')[0]}"))
    return p


# -- writes -------------------------------------------------------------------------------

def test_output_through_a_symlink_replaces_the_linked_file_not_the_link(tmp_path):
    real = tmp_path / "real.xml"
    real.write_text("old")
    link = tmp_path / "link.xml"
    link.symlink_to(real)
    res = run("batch", "--json", "--junit", link, OK_SCENARIO)
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith("<testsuites")


def test_output_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "out.xml"
    os.mkfifo(fifo)
    res = run("batch", "--json", "--junit", fifo, OK_SCENARIO)
    assert res.exit_code == 2
    assert "not a regular file" in res.stderr and str(fifo) in res.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a FIFO: nothing replaced it


def test_output_to_a_device_through_a_link_is_refused(tmp_path):
    link = tmp_path / "schema.json"
    link.symlink_to("/dev/null")
    res = run("schema", "state", "--output", link)
    assert res.exit_code == 2
    assert "not a regular file" in res.stderr
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize("target", ["scenario", "rulebook", "link-to-scenario"])
def test_an_output_that_is_also_an_input_is_refused(tmp_path, target):
    scen = scenario_copy(tmp_path)
    rulebook = tmp_path / "rb.yaml"
    rulebook.write_text((CORPUS / "ok-rulebook.yaml").read_text())
    out = {"scenario": scen, "rulebook": rulebook, "link-to-scenario": tmp_path / "out.xml"}[target]
    if target == "link-to-scenario":
        out.symlink_to(scen)
    before = scen.read_text(), rulebook.read_text()
    res = run("batch", "--rulebook", rulebook, "--junit", out, scen)
    assert res.exit_code == 2, res.output
    assert "is also an input" in res.stderr
    assert (scen.read_text(), rulebook.read_text()) == before


def test_report_that_is_the_state_file_is_refused(tmp_path):
    state = tmp_path / "state.md"  # a state read as YAML, whatever its suffix
    state.write_text(OK_STATE.read_text())
    res = run("evaluate", "--report", state, state)
    assert res.exit_code == 2
    assert "is also an input" in res.stderr and state.read_text() == OK_STATE.read_text()


# -- reads --------------------------------------------------------------------------------

def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB: a read to the end would fail


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "state.yaml"
    os.mkfifo(fifo)
    res = child(["evaluate", fifo])  # today: blocks until the timeout
    assert res.returncode == 2
    assert b"not a regular file" in res.stderr and b"FIFO" in res.stderr


@pytest.mark.parametrize("source", ["/dev/zero", "sparse"])
def test_a_device_or_huge_file_is_refused_before_reading(tmp_path, source):
    if source == "sparse":
        path = tmp_path / "huge.yaml"
        with open(path, "wb") as fh:
            fh.truncate(8 << 30)  # 8 GiB, no disk used
        source = str(path)
    res = child(["evaluate", source], preexec_fn=_limit_memory)
    assert res.returncode == 2, res.stderr
    assert b"Traceback" not in res.stderr
    assert (b"not a regular file" in res.stderr) if source == "/dev/zero" else (b"bytes; at most" in res.stderr)


# -- batch workers ------------------------------------------------------------------------

def test_a_dead_worker_is_an_error_not_a_hang(tmp_path):
    for i in range(4):
        scenario_copy(tmp_path, f"s{i}.yaml")
    code = textwrap.dedent(f"""
        import os, sys
        from advisor import scenarios
        from advisor.evaluate import get_rulebook
        from advisor.errors import AdvisorError
        real = scenarios._worker_run
        def dying(f):
            if f.name == "s2.yaml":
                os._exit(9)  # as if the OOM killer took it
            return real(f)
        scenarios._worker_run = dying
        try:
            scenarios.run_batch([{str(tmp_path)!r}], get_rulebook(), workers=2)
        except AdvisorError as exc:
            print("ERROR", exc.exit_code, exc)
            sys.exit(0)
        print("NO ERROR")
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG)
    assert res.stdout.startswith("ERROR 3 "), res.stdout + res.stderr
    assert "worker" in res.stdout and "--workers 1" in res.stdout


def test_workers_has_an_upper_bound():
    limit = (os.cpu_count() or 1) * 4
    res = run("batch", "--workers", limit + 1, OK_SCENARIO, OK_SCENARIO)
    assert res.exit_code == 2
    assert "--workers" in res.stderr and str(limit) in res.stderr
    assert run("batch", "--json", "--workers", limit, OK_SCENARIO).exit_code == 0


def test_an_internal_error_in_batch_is_exit_3_not_a_load_error(monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(scenarios, "run_scenario", broken)
    res = run("batch", "--json", OK_SCENARIO)
    assert res.exit_code == 3, res.output
    data = json.loads(res.stdout)
    (err,) = data["internal_errors"]
    assert "simulated bug" in err["message"] and data["load_errors"] == []


# -- standard output ----------------------------------------------------------------------

def test_batch_into_head_exits_quietly():
    scen = str(Path(__file__).resolve().parent.parent / "scenarios")
    proc = subprocess.Popen(ADVISOR + ["batch", scen], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with proc:
        proc.stdout.readline()
        proc.stdout.close()  # what `| head -1` does
        err = proc.stderr.read()
        code = proc.wait(timeout=HANG)
    assert code in (0, 141), err
    assert err == b"", err


@pytest.mark.parametrize("args", [["evaluate", "--json"], ["evaluate"], ["batch"]])
def test_closed_stdout_is_a_clear_error(args):
    target = OK_SCENARIO if args == ["batch"] else OK_STATE
    res = child(args + [target], stdout=subprocess.DEVNULL, preexec_fn=lambda: os.close(1))
    assert res.returncode == 2, res.stderr
    assert b"standard output" in res.stderr and b"Traceback" not in res.stderr


@pytest.mark.parametrize("args", [["evaluate", "--json"], ["evaluate"], ["batch"], ["batch", "--json"]])
def test_non_utf8_stdout_still_prints(args, tmp_path):
    rulebook = tmp_path / "rb.yaml"  # a rationale outside ASCII reaches every output
    rulebook.write_text((CORPUS / "ok-rulebook.yaml").read_text().replace("The label holds imatinib.", "Hold at grade ≥ 3 😀."))
    scen = tmp_path / "scen.yaml"
    scen.write_text(OK_SCENARIO.read_text() + "    deviation: \"Équipe ≥ 😀 a continué\"\n")
    res = child(args + ["--rulebook", rulebook, scen if args[0] == "batch" else OK_STATE],
                env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert res.returncode == 0, res.stderr
    assert b"Traceback" not in res.stderr and b"internal error" not in res.stderr
    if "--json" in args:
        text = json.dumps(json.loads(res.stdout), ensure_ascii=False)  # valid JSON with the same characters
        assert ("Équipe ≥ 😀" if args[0] == "batch" else "grade ≥ 3 😀") in text
    else:
        assert b"\\u2265" in res.stdout  # shown as an escape


# -- folders and messages -----------------------------------------------------------------

def test_an_unreadable_subfolder_is_reported_not_skipped(tmp_path, monkeypatch):
    scenario_copy(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    scenario_copy(locked, "hidden.yaml")
    real = os.scandir

    def scandir(path="."):
        if Path(path) == locked:  # root reads any folder: refuse as a non-root user would be refused
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    res = run("batch", "--json", tmp_path)
    assert res.exit_code == 2
    errors = json.loads(res.stdout)["load_errors"]
    assert [e["file"] for e in errors] == [str(locked)]
    assert "cannot read this folder" in errors[0]["message"]


def test_the_table_names_the_file_of_every_load_error(tmp_path):
    missing = tmp_path / "nothing-here.yaml"
    res = run("batch", missing)
    assert res.exit_code == 2
    line = next(x for x in res.stdout.splitlines() if "load error" in x)
    assert "nothing-here.yaml" in line and "no such file" in line
