"""Atomic writes (issue 7): an interrupted run leaves the previous file intact, never half a file.

write_text_atomic is tested directly, with a crash simulated at each stage (the write, the
fsync, the rename, Ctrl-C, and a real SIGKILL of a child process in the middle of a large
write); then every writer of the advisor (--junit, --report, schema --output, ask --save)
is run with the rename failing, to show that each one goes through it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import advisor.atomic as atomic
from advisor.atomic import write_text_atomic
from advisor.cli import app
from advisor.errors import AdvisorError, InputError

OLD = "previous content\n" * 100
CORPUS = Path(__file__).resolve().parent / "bad_inputs"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_the_new_text_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text(OLD)
    write_text_atomic(target, "new ✓\n")
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert leftovers(tmp_path) == []


def test_creates_a_new_file_with_normal_permissions(tmp_path):
    target = tmp_path / "new.txt"
    write_text_atomic(target, "x")
    assert target.read_text() == "x"
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text(OLD)
    target.chmod(0o640)
    write_text_atomic(target, "new")
    assert (target.stat().st_mode & 0o777) == 0o640


class Boom(Exception):
    pass


def _raise(*_a, **_k):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("stage", ["write", "fsync", "replace"])
def test_a_failure_at_any_stage_leaves_the_old_file(tmp_path, monkeypatch, stage):
    target = tmp_path / "report.html"
    target.write_text(OLD)
    if stage == "write":
        real_fdopen = os.fdopen

        def half_writer(fd, *a, **k):
            fh = real_fdopen(fd, *a, **k)

            class Half:
                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    fh.close()

                def write(self, data):
                    fh.write(data[: len(data) // 2])  # half the text reaches the disk, then the disk is full
                    fh.flush()
                    _raise()

                def flush(self):
                    fh.flush()

                def fileno(self):
                    return fh.fileno()

            return Half()

        monkeypatch.setattr(atomic.os, "fdopen", half_writer)
    elif stage == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", _raise)
    else:
        monkeypatch.setattr(atomic.os, "replace", _raise)
    with pytest.raises(InputError) as exc:
        write_text_atomic(target, "NEW " * 10_000)
    assert "report.html" in str(exc.value) and "unchanged" in str(exc.value)
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_ctrl_c_during_the_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.xml"
    target.write_text(OLD)

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(target, "<new/>")
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_missing_folder_and_folder_target_are_clean_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_text_atomic(tmp_path / "nope" / "out.txt", "x")
    with pytest.raises(InputError, match="is a folder"):
        write_text_atomic(tmp_path, "x")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_read_only_folder_is_a_clean_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "out.txt").write_text(OLD)
    folder.chmod(0o500)
    try:
        with pytest.raises(AdvisorError, match="cannot write"):
            write_text_atomic(folder / "out.txt", "x")
        assert (folder / "out.txt").read_text() == OLD
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_sigkill_in_the_middle_of_a_large_write_leaves_the_old_file(tmp_path):
    """A real interruption: the writer process is killed while its temporary file grows."""
    target = tmp_path / "big.json"
    target.write_text(OLD)
    child = textwrap.dedent(f"""
        import os, sys
        import advisor.atomic as atomic
        real_fdopen = os.fdopen
        def slow_fdopen(fd, *a, **k):
            fh = real_fdopen(fd, *a, **k)
            real_write = fh.write
            class Slow:
                def __enter__(self): return self
                def __exit__(self, *e): fh.close()
                def write(self, data):
                    for i in range(0, len(data), 4096):   # write in chunks, slowly, so it can be killed mid-way
                        real_write(data[i:i + 4096]); fh.flush()
                        if i == 4096 * 4: print("writing", flush=True)
                        import time; time.sleep(0.001)
                def flush(self): fh.flush()
                def fileno(self): return fh.fileno()
            return Slow()
        atomic.os.fdopen = slow_fdopen
        atomic.write_text_atomic({str(target)!r}, "x" * (4096 * 5000))
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == OLD  # never half a file
    # the killed process could not clean up its temporary file; it is hidden and never the target
    assert all(name.startswith(".big.json.") for name in leftovers(tmp_path))


# -- every writer goes through write_text_atomic --------------------------------------------

@pytest.fixture
def failing_rename(monkeypatch):
    """The rename at the end of an atomic write fails, as if the run died just before it."""
    monkeypatch.setattr(atomic.os, "replace", _raise)


def _check_intact(target: Path, res) -> None:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert target.read_text() == OLD
    assert leftovers(target.parent) == []


def test_junit_is_written_atomically(tmp_path, failing_rename):
    target = tmp_path / "junit.xml"
    target.write_text(OLD)
    res = CliRunner().invoke(app, ["batch", "--json", "--junit", str(target), str(CORPUS / "ok-scenario.yaml")])
    _check_intact(target, res)


def test_junit_is_written_when_all_is_well(tmp_path):
    target = tmp_path / "junit.xml"
    target.write_text(OLD)
    res = CliRunner().invoke(app, ["batch", "--json", "--junit", str(target), str(CORPUS / "ok-scenario.yaml")])
    assert res.exit_code == 0, res.output
    assert target.read_text().startswith("<testsuites")


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_report_is_written_atomically(tmp_path, failing_rename, suffix):
    pytest.importorskip("advisor.render.report")
    target = tmp_path / f"report{suffix}"
    target.write_text(OLD)
    res = CliRunner().invoke(app, ["evaluate", "--report", str(target), str(CORPUS / "ok-state.yaml")])
    _check_intact(target, res)


def test_schema_output_is_written_atomically(tmp_path, failing_rename):
    target = tmp_path / "state.schema.json"
    target.write_text(OLD)
    res = CliRunner().invoke(app, ["schema", "state", "--output", str(target)])
    _check_intact(target, res)


def test_ask_save_is_written_atomically(tmp_path, failing_rename):
    from advisor.ask import save_state
    from advisor.state import load_state

    target = tmp_path / "saved.yaml"
    target.write_text(OLD)
    with pytest.raises(InputError):
        save_state(target, load_state(CORPUS / "ok-state.yaml"))
    assert target.read_text() == OLD
    assert leftovers(tmp_path) == []


def test_no_writer_bypasses_write_text_atomic():
    """Source check: nothing in advisor/ writes files except through advisor.atomic."""
    import re

    root = Path(atomic.__file__).resolve().parent
    # os.open for reading (a FIFO-safe read) or of os.devnull (after a broken pipe) writes no file
    pattern = re.compile(r"\.write_text\(|\.write_bytes\(|open\([^)]*['\"][wax]b?\+?['\"]"
                         r"|os\.open\((?!os\.devnull)[^)]*O_(WRONLY|RDWR|CREAT|APPEND|TRUNC)")
    offenders = []
    for p in root.rglob("*.py"):
        if p.name == "atomic.py":
            continue
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{p.relative_to(root.parent)}:{n}: {line.strip()}")
    assert offenders == []
