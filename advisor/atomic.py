"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the advisor writes (--junit, --report, `schema --output`, `ask --save`) goes
through write_text_atomic: the text is written to a temporary file in the same folder,
flushed and fsynced, then renamed over the target with os.replace (atomic on POSIX and
Windows). If anything fails or the run is interrupted before the rename, the previous file
is left as it was and the temporary file is removed (a process killed with SIGKILL cannot
clean up: it may leave a `.NAME.*.tmp` file next to the target, never a damaged target).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError, Location


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where folders cannot be opened."""
    flags = getattr(os, "O_DIRECTORY", 0) | os.O_RDONLY
    with contextlib.suppress(OSError):
        fd = os.open(directory, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    p = Path(path)
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("the folder to write into does not exist", Location(str(p)))
    if p.is_dir():
        raise InputError("is a folder; expected a file name to write", Location(str(p)))
    data = text.encode("utf-8")
    mode = _mode_for(p)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", Location(str(p))) from None
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, p)
        except OSError as exc:
            raise InputError(f"cannot write the file: {exc.strerror or exc}; the previous file, if any, is unchanged",
                             Location(str(p))) from None
    except BaseException:  # including KeyboardInterrupt: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
