"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the advisor writes (--junit, --report, `schema --output`, `ask --save`) goes
through write_text_atomic: the text is written to a temporary file in the same folder,
flushed and fsynced, then renamed over the target with os.replace (atomic on POSIX and
Windows). If anything fails or the run is interrupted before the rename, the previous file
is left as it was and the temporary file is removed (a process killed with SIGKILL cannot
clean up: it may leave a `.NAME.*.tmp` file next to the target, never a damaged target).

A symlink is written through (the linked file is replaced, the link stays); a FIFO, a device,
a socket or a file the command read is refused: `--junit /dev/stdout` must not replace the
device, `batch --junit S.yaml S.yaml` must not overwrite the scenario.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
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


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words ("a FIFO (named pipe)")."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _same_file(a: Path, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _target(path: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> Path:
    """The file to replace: a symlink is written through (the file it points to is replaced and
    the link stays); anything but a regular file, and any file the command read, is refused."""
    p = Path(path)
    try:
        st = os.stat(p)  # follows links: /dev/stdout is a link to a device or pipe
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", Location(str(p))) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder; expected a file name to write", Location(str(p)))
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise InputError(f"is {file_kind(st.st_mode)}, not a regular file; the advisor writes only regular files",
                         Location(str(p)))
    for source in inputs:
        if st is not None and _same_file(p, source):
            raise InputError(f"is also an input of this command ({source}); choose another file to write",
                             Location(str(p)))
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def write_text_atomic(path: str | os.PathLike, text: str, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Replace `path` with `text` atomically; `inputs` are the files the command read (never overwritten)."""
    shown = str(path)
    p = _target(path, inputs)
    directory = p.parent if str(p.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("the folder to write into does not exist", Location(shown))
    data = text.encode("utf-8")
    mode = _mode_for(p)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}", Location(shown)) from None
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
                             Location(shown)) from None
    except BaseException:  # including KeyboardInterrupt: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
