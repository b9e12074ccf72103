"""Strict document loading: YAML or JSON, duplicate keys rejected, line marks kept.

Every loaded document keeps a map from key path to line so that a validation error
deep inside a model can still say `file:line`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Location, path_to_str

try:  # the C loader is ~6x faster; its nodes carry the same marks
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64  # nesting of mappings and lists; our formats need fewer than 10 levels
MAX_NODES = 500_000  # values after alias expansion: stops "billion laughs" alias bombs
# One message whether the parser ran out of stack (where it does depends on the Python version)
# or our own depth check caught it.
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep; expected a shallow document"


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Budget:
    """Counts constructed values and tracks the nodes being built (to catch recursive aliases)."""

    def __init__(self) -> None:
        self.nodes = 0
        self.active: set[int] = set()


@dataclass(frozen=True)
class Document:
    data: Any
    source: str
    lines: dict[tuple, int] = field(default_factory=dict)

    def line_of(self, path: tuple) -> int | None:
        """The line of the deepest known ancestor of path (a missing key points at its parent)."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def location(self, path: tuple) -> Location:
        return Location(self.source, self.line_of(path), path_to_str(path) or None)


def _construct(node: yaml.Node, path: tuple, lines: dict, source: str, scalar_loader: yaml.SafeLoader,
               budget: _Budget | None = None) -> Any:
    budget = budget if budget is not None else _Budget()
    budget.nodes += 1
    lines.setdefault(path, node.start_mark.line + 1)
    if budget.nodes > MAX_NODES:
        raise InputError(f"more than {MAX_NODES} values (after expanding aliases); expected a small document",
                         Location(source, node.start_mark.line + 1))
    if len(path) > MAX_DEPTH:
        raise InputError(TOO_DEEP,
                         Location(source, node.start_mark.line + 1, path_to_str(path[:8]) + "..."))
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if node.tag not in _PLAIN_TAGS:
            raise InputError(f"the YAML tag '{node.tag}' is not allowed; expected plain mappings, lists and values",
                             Location(source, node.start_mark.line + 1, path_to_str(path) or None))
        if id(node) in budget.active:
            raise InputError("an alias refers to the value that contains it (a recursive anchor)",
                             Location(source, node.start_mark.line + 1, path_to_str(path) or None))
        budget.active.add(id(node))
        try:
            return _construct_collection(node, path, lines, source, scalar_loader, budget)
        finally:
            budget.active.discard(id(node))
    value = scalar_loader.construct_object(node)
    if node.tag == "tag:yaml.org,2002:timestamp":
        value = str(value)  # dates are not part of any of our formats; keep the text
    return value


def _construct_collection(node: yaml.Node, path: tuple, lines: dict, source: str, scalar_loader: yaml.SafeLoader,
                          budget: _Budget) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError("YAML merge keys (<<) are not supported", Location(source, key_node.start_mark.line + 1))
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("a mapping key must be a plain value", Location(source, key_node.start_mark.line + 1, path_to_str(path) or None))
            key = _construct(key_node, path, {}, source, scalar_loader, budget)
            if isinstance(key, (dict, list)):
                raise InputError("a mapping key must be a plain value", Location(source, key_node.start_mark.line + 1, path_to_str(path) or None))
            if key in out:
                first = lines.get(path + (key,))
                raise InputError(
                    f"duplicate key '{key}' (first given on line {first})",
                    Location(source, key_node.start_mark.line + 1, path_to_str(path + (key,))),
                )
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, source, scalar_loader, budget)
        return out
    return [_construct(item, path + (i,), lines, source, scalar_loader, budget) for i, item in enumerate(node.value)]


def parse_text(text: str, source: str) -> Document:
    """Parse YAML (or JSON, which YAML reads too) into a Document with line marks."""
    if source.lower().endswith(".json"):
        return _parse_json(text, source)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise InputError(TOO_DEEP, Location(source)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"not valid YAML: {exc.problem or exc}", Location(source, line)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", Location(source)) from None
    if node is None:
        raise InputError("the file is empty; expected a mapping of keys", Location(source))
    lines: dict[tuple, int] = {}
    scalar_loader = yaml.SafeLoader("")
    try:
        data = _construct(node, (), lines, source, scalar_loader)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise InputError(f"not valid YAML: {exc.problem}", Location(source, mark.line + 1 if mark else None)) from None
    finally:
        scalar_loader.dispose()
    return Document(data, source, lines)


def _parse_json(text: str, source: str) -> Document:
    def no_duplicates(pairs: list) -> dict:
        out: dict = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"duplicate key '{key}'", Location(source))
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", Location(source, exc.lineno)) from None
    except RecursionError:
        raise InputError(TOO_DEEP, Location(source)) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(TOO_DEEP, Location(source))
    return Document(data, source, {})


def _depth(data: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level + 1)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level + 1)
    return level


def read_text(path: str | os.PathLike, what: str = "a YAML or JSON") -> str:
    """A text file's content; every failure is an InputError naming the file."""
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise InputError("no such file", Location(source))
    if p.is_dir():
        raise InputError(f"is a folder; expected {what} file", Location(source))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Location(source)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"the file is {len(raw)} bytes; at most {MAX_BYTES} are read", Location(source))
    if b"\x00" in raw:
        raise InputError(f"binary data (a NUL byte); expected {what} text file", Location(source))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}); expected {what} text file", Location(source)) from None


def read_document(path: str | os.PathLike) -> Document:
    """Read a file as a Document; every failure is an InputError naming the file."""
    return parse_text(read_text(path), str(path))


def expect_mapping(doc: Document, what: str) -> dict:
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "nothing"
        kind = {"list": "a list", "str": "a plain text value", "int": "a number", "float": "a number"}.get(kind, kind)
        raise InputError(f"the top level is {kind}; expected a mapping ({what})", Location(doc.source, 1))
    return doc.data
