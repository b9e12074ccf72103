"""Text from input shown as text: control characters made visible, never acted on.

A state, scenario or rulebook can carry any character a JSON escape or a YAML "\\e" can
spell, and file names can hold them too. Written raw, ESC starts ANSI/OSC sequences (clear
the screen, set the window title, write the clipboard), CR and BS overwrite what was
printed, and bidirectional overrides reorder it. Every renderer passes input text through
`visible` so the reader sees the escape instead of its effect.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# C0 controls except TAB and LF, DEL, C1 controls, line/paragraph separators, bidi controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: Any) -> str:
    """str(text) with each control character written as its escape (ESC -> \\x1b)."""
    return _CONTROL.sub(_escape, str(text))


def one_line(text: Any) -> str:
    """visible(), with line breaks and tabs written as spaces: for inline positions."""
    return " ".join(visible(text).replace("\t", " ").splitlines())


def stdout_is_utf8() -> bool:
    """Whether standard output takes any character; JSON for one that does not is written with \\u escapes."""
    return (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
