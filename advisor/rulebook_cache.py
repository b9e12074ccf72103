"""An on-disk cache of parsed rulebooks, so a command line run does not parse YAML each time.

Parsing the bundled rulebook (YAML, then validation) costs ~50-80 ms of CPU, more than the rest
of `advisor evaluate` after the imports; unpickling the result costs ~5 ms. The cache can
never be stale: an entry's name is the sha256 of the rulebook's bytes, its path (rules record
their source), the Python version and the source of every module of this package (a code
change that could parse differently gives a new name), and PyYAML's location and size. It is
optional: an unwritable or missing cache directory, a corrupt or foreign entry, all fall
back to parsing, silently. Entries are written atomically by advisor.atomic (as base64 text).

Where: $ADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/imatinib-advisor, else ~/.cache/imatinib-advisor;
ADVISOR_CACHE_DIR=off disables it. The directory holds only what this code wrote there; it is
trusted as the user's own files are (like Python's __pycache__).
"""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import sys
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from .rulebook import Rulebook, load_rulebook

_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    explicit = os.environ.get("ADVISOR_CACHE_DIR")
    if explicit:
        return None if explicit.lower() in ("off", "0", "no", "false") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "imatinib-advisor"


@lru_cache(maxsize=1)
def code_fingerprint() -> bytes:
    """The package's own source and the parser's identity: part of every entry's name."""
    h = hashlib.sha256(sys.version.encode())
    for f in sorted(_PACKAGE.rglob("*.py")):
        h.update(str(f.relative_to(_PACKAGE)).encode() + b"\0")
        h.update(f.read_bytes())
    spec = find_spec("yaml")
    if spec is not None and spec.origin:
        h.update(f"{spec.origin}:{os.path.getsize(spec.origin)}".encode())
    return h.digest()


def _entry(path: str, text: bytes) -> str:
    h = hashlib.sha256(code_fingerprint())
    h.update(path.encode("utf-8", "surrogateescape") + b"\0")
    h.update(text)
    return f"rulebook-{h.hexdigest()}.pickle"


def load_rulebook_cached(path: str | os.PathLike) -> Rulebook:
    """load_rulebook(path), from the cache when an entry for exactly these bytes exists."""
    folder = cache_dir()
    try:
        text = Path(path).read_bytes()
    except OSError:
        folder = None  # load_rulebook reports the unreadable file as it always has
    if folder is None:
        return load_rulebook(path)
    target = folder / _entry(str(path), text)
    try:
        rb = pickle.loads(base64.b64decode(target.read_bytes(), validate=True))
        if isinstance(rb, Rulebook):
            return rb
    except Exception:  # missing, unreadable, truncated or from elsewhere: parse instead
        pass
    rb = load_rulebook(path)  # errors in the rulebook are raised here, and nothing is cached
    _store(folder, target, rb)
    return rb


def _store(folder: Path, target: Path, rb: Rulebook) -> None:
    from .atomic import write_text_atomic  # only when writing: most runs only read

    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # base64 text through the one atomic writer of the package (a reader sees a whole entry or none)
        write_text_atomic(target, base64.b64encode(pickle.dumps(rb, protocol=pickle.HIGHEST_PROTOCOL)).decode("ascii"))
    except Exception:  # read-only home, full disk, an unpicklable value: the cache is optional
        pass
