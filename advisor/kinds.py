"""Which of our file kinds a parsed document is, so that a file given to the wrong command is
named for what it is ("this is a scenario file: use advisor batch") instead of failing key by key."""

from __future__ import annotations

from typing import Any

from .errors import InputError, Location

# kind -> (what it is, the top-level keys that give it away, the command that reads it)
KINDS = {
    "state": ("a patient state", ("imatinib",), "advisor evaluate {file}"),
    "scenario": ("a scenario file", ("steps", "case"), "advisor batch {file}"),
    "rulebook": ("a rulebook", ("rules", "rulebook"), "advisor rules lint {file}"),
    "fhir": ("a FHIR resource", ("resourceType",), "advisor evaluate {file}"),
}


def sniff(data: Any) -> str | None:
    """The kind whose telltale keys the document's top level has, if exactly one kind fits."""
    if not isinstance(data, dict):
        return None
    fits = [kind for kind, (_, keys, _) in KINDS.items() if any(k in data for k in keys)]
    return fits[0] if len(fits) == 1 else None


def expect_kind(data: Any, expected: str, source: str) -> None:
    """Raise a one-line InputError when the document is plainly another kind than `expected`."""
    found = sniff(data)
    if found is None or found == expected:
        return
    what, keys, command = KINDS[found]
    present = " and ".join(f"'{k}'" for k in keys if k in data)
    raise InputError(f"this is {what} (it has {present}), not {KINDS[expected][0]}; use `{command.format(file=source)}`",
                     Location(source, 1))
