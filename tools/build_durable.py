"""Build durable-rules 2.0.28 for Python 3.13 with upstream's one fix, into a local wheelhouse.

durable-rules 2.0.28 (the latest release) compiles on Python 3.13 but does not import there:
its C extension calls PyEval_CallObject, which 3.13 removed from the C API. Upstream fixed it
by calling PyObject_CallObject instead (jruizgit/rules pull request #403, merged July 2025)
but has not released it. This script applies exactly that change to the registry's source
release and builds a wheel for the interpreter that runs it:

    python tools/build_durable.py [--wheelhouse DIR]     # default DIR: wheelhouse/
    pip install --find-links wheelhouse .

The wheel's version is 2.0.28+pr403 (a local version label, so `pip list` shows that it is
patched); it still meets the project's pin `durable-rules==2.0.28`. The Makefile runs this
script only when the interpreter is 3.13 or newer; 3.11 and 3.12 install the release as is.
Standard library only, so it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

NAME, VERSION = "durable-rules", "2.0.28"
LOCAL_VERSION = f"{VERSION}+pr403"
# The registry's sdist of 2.0.28; a different file is not the source this patch was checked against.
SDIST_SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
C_FILE = "src/rulespy/rules.c"
OLD_CALL, NEW_CALL = "PyEval_CallObject(", "PyObject_CallObject("
CALL_SITES = 5  # the callbacks into Python in rules.c; the upstream fix changes each of them


class BuildError(Exception):
    pass


def wheel_tag() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def existing_wheel(wheelhouse: Path) -> Path | None:
    found = sorted(wheelhouse.glob(f"durable_rules-{LOCAL_VERSION}-{wheel_tag()}-{wheel_tag()}-*.whl"))
    return found[-1] if found else None


def run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def download_sdist(into: Path) -> Path:
    run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
         f"{NAME}=={VERSION}", "-d", str(into)])
    found = list(into.glob("durable_rules-*.tar.gz"))
    if len(found) != 1:
        raise BuildError(f"expected one durable_rules sdist in {into}, found {[p.name for p in found]}")
    digest = hashlib.sha256(found[0].read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise BuildError(f"{found[0].name} has sha256 {digest}, expected {SDIST_SHA256}: not the release this patch is for")
    return found[0]


def unpack(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # 3.11.4+: refuse links and paths that leave `into`
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)  # noqa: S202 - the archive's hash was checked above
    return into / f"durable_rules-{VERSION}"


def patch(src: Path) -> None:
    """The change of upstream PR #403, and the local version label that says it was applied."""
    c_file = src / C_FILE
    text = c_file.read_text(encoding="utf-8")
    if text.count(OLD_CALL) != CALL_SITES:
        raise BuildError(f"{C_FILE}: expected {CALL_SITES} calls to {OLD_CALL[:-1]}, found {text.count(OLD_CALL)}")
    c_file.write_text(text.replace(OLD_CALL, NEW_CALL), encoding="utf-8")
    setup = src / "setup.py"
    text = setup.read_text(encoding="utf-8")
    old = f"version = '{VERSION}'"
    if text.count(old) != 1:
        raise BuildError(f"setup.py: expected one line {old!r}")
    setup.write_text(text.replace(old, f"version = '{LOCAL_VERSION}'"), encoding="utf-8")


def build(wheelhouse: Path) -> Path:
    wheelhouse.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="durable-rules-") as tmp:
        src = unpack(download_sdist(Path(tmp)), Path(tmp))
        patch(src)
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheelhouse), str(src)])
    wheel = existing_wheel(wheelhouse)
    if wheel is None:
        raise BuildError(f"pip wheel succeeded but no {wheel_tag()} wheel of {LOCAL_VERSION} is in {wheelhouse}")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", type=Path, default=Path("wheelhouse"), help="where to put the wheel (default: wheelhouse/)")
    args = parser.parse_args(argv)
    wheel = existing_wheel(args.wheelhouse)
    if wheel is not None:
        print(f"{wheel} is already built")
        return 0
    try:
        wheel = build(args.wheelhouse)
    except BuildError as exc:
        print(f"build_durable: {exc}", file=sys.stderr)
        return 1
    print(f"built {wheel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
