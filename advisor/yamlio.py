"""Strict document loading: YAML or JSON, duplicate keys rejected, line marks kept.

Every loaded document keeps a map from key path to line so that a validation error
deep inside a model can still say `file:line`.
"""

from __future__ import annotations

import json
import os
import re
import stat
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
MAX_DIGITS = 4300  # Python's own limit for int(text); a longer number is refused with a message
_T = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _MERGE = (_T + t for t in ("str", "null", "bool", "int", "float", "merge"))


class _CoreLoader(_Loader):  # type: ignore[misc, valid-type]
    """Plain scalars read as written, as in YAML 1.2's core schema, where YAML 1.1 misreads them:
    010 and 055 are ten and fifty-five (1.1: octal 8 and 45), 6:40 is text (1.1: sexagesimal
    400), 1_000 and 0b11 are text, dates stay text. yes/no/on/off stay booleans (1.1) so that
    `dose_mg: yes` keeps its clear "expected a number" message."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in (
    (_BOOL, r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$", "yYnNtTfFoO"),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (_FLOAT, r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    (_MERGE, r"^(?:<<)$", "<"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _implicit_tag(node: yaml.ScalarNode) -> str:
    """The tag the core schema gives this scalar when no tag is written."""
    if node.style:  # quoted or block scalars are text (plain is None in PyYAML, "" in libyaml)
        return _STR
    for tag, regexp in _CoreLoader.yaml_implicit_resolvers.get(node.value[:1], []):
        if regexp.match(node.value):
            return tag
    return _STR


def _scalar(node: yaml.ScalarNode, path: tuple, source: str) -> Any:
    where = Location(source, node.start_mark.line + 1, path_to_str(path) or None)
    tag, text = node.tag, node.value
    if tag not in (_STR, _implicit_tag(node)):  # an explicit tag: !!int abc, !!timestamp x, !!binary ...
        raise InputError(f"the YAML tag '{tag.replace(_T, '!!')}' is not allowed; write plain values "
                         "(quote a value to keep it as text)", where)
    if tag == _STR:
        return _text(text, where)
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return text.lower() in ("yes", "true", "on")
    if tag == _INT:
        sign, digits = (-1 if text[0] == "-" else 1), text.lstrip("+-")
        if len(digits) > MAX_DIGITS:
            raise InputError(f"a number with {len(digits)} digits; expected a value of at most {MAX_DIGITS} digits", where)
        base = {"0o": 8, "0x": 16}.get(digits[:2], 10)
        return sign * int(digits[2:] if base != 10 else digits, base)  # 010 is ten, as written
    if tag == _FLOAT:
        low = text.lower()
        if low.endswith(".inf"):
            return float("-inf") if text[0] == "-" else float("inf")
        return float("nan") if low == ".nan" else float(text)
    raise InputError("'<<' (a YAML merge key) is not a value; quote it to keep it as text", where)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str, where: Location) -> str:
    m = _SURROGATE.search(value)
    if m:
        raise InputError(f"a lone surrogate (\\u{ord(m.group()):04x}) is not a character; expected Unicode text", where)
    return value


# YAML allows TAB, LF, CR, printable ASCII, NEL and the printable rest of Unicode.
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check_characters(text: str, source: str) -> None:
    """A raw control character is refused with its line and column (libyaml gives only an offset)."""
    m = _NOT_YAML.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        raise InputError(f"a raw control character (U+{ord(m.group()):04X}) at column {column} is not allowed in YAML; "
                         'remove it, or write it as an escape in a double-quoted string', Location(source, line))


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


def _construct(node: yaml.Node, path: tuple, lines: dict, source: str,
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
            return _construct_collection(node, path, lines, source, budget)
        finally:
            budget.active.discard(id(node))
    return _scalar(node, path, source)


def _construct_collection(node: yaml.Node, path: tuple, lines: dict, source: str,
                          budget: _Budget) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError("YAML merge keys (<<) are not supported", Location(source, key_node.start_mark.line + 1))
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("a mapping key must be a plain value", Location(source, key_node.start_mark.line + 1, path_to_str(path) or None))
            key = _construct(key_node, path, {}, source, budget)
            if isinstance(key, (dict, list)):
                raise InputError("a mapping key must be a plain value", Location(source, key_node.start_mark.line + 1, path_to_str(path) or None))
            if key in out:
                first = lines.get(path + (key,))
                raise InputError(
                    f"duplicate key '{key}' (first given on line {first})",
                    Location(source, key_node.start_mark.line + 1, path_to_str(path + (key,))),
                )
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, source, budget)
        return out
    return [_construct(item, path + (i,), lines, source, budget) for i, item in enumerate(node.value)]


def parse_text(text: str, source: str) -> Document:
    """Parse YAML (or JSON, which YAML reads too) into a Document with line marks."""
    if source.lower().endswith(".json"):
        return _parse_json(text, source)
    _check_characters(text, source)
    try:
        node = yaml.compose(text, Loader=_CoreLoader)
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
    return Document(_construct(node, (), lines, source), source, lines)


def _parse_json(text: str, source: str) -> Document:
    def no_duplicates(pairs: list) -> dict:
        out: dict = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"duplicate key '{key}'", Location(source))
            out[key] = value
        return out

    def whole_number(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_DIGITS:
            raise InputError(f"a number with {len(digits.lstrip('-'))} digits; expected a value of at most {MAX_DIGITS} digits",
                             Location(source))
        return int(digits)

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates, parse_int=whole_number)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", Location(source, exc.lineno)) from None
    except RecursionError:
        raise InputError(TOO_DEEP, Location(source)) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(TOO_DEEP, Location(source))
    lines = json_lines(text)
    _check_json_text(data, (), source, lines)
    return Document(data, source, lines)


_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")


def json_lines(text: str) -> dict[tuple, int]:
    """The line of every key and list item of a JSON text that json.loads accepted, so that an
    error in a JSON file names its line as one in a YAML file does (json keeps no positions)."""
    from bisect import bisect_left
    from json.decoder import scanstring

    newlines = [m.start() for m in re.finditer("\n", text)]
    lines: dict[tuple, int] = {}

    def skip(pos: int) -> int:
        return _JSON_WS.match(text, pos).end()  # type: ignore[union-attr]

    def value(pos: int, path: tuple) -> int:
        pos = skip(pos)
        lines.setdefault(path, bisect_left(newlines, pos) + 1)
        c = text[pos]
        if c in "{[":
            close, i = ("}" if c == "{" else "]"), 0
            pos = skip(pos + 1)
            while text[pos] != close:
                if c == "{":
                    key, end = scanstring(text, pos + 1)
                    lines[path + (key,)] = bisect_left(newlines, pos) + 1
                    pos = value(skip(end) + 1, path + (key,))  # past the colon
                else:
                    pos = value(pos, path + (i,))
                    i += 1
                pos = skip(pos)
                if text[pos] == ",":
                    pos = skip(pos + 1)
            return pos + 1
        if c == '"':
            return scanstring(text, pos + 1)[1]
        return _JSON_SCALAR.match(text, pos).end()  # type: ignore[union-attr]

    try:
        value(0, ())
    except (IndexError, ValueError, AttributeError, RecursionError):  # never in valid JSON; lines are a courtesy
        return {}
    return lines


def _check_json_text(data: Any, path: tuple, source: str, lines: dict[tuple, int]) -> None:
    """JSON's \\ud800 escapes can spell lone surrogates, which no output can encode: refuse them here."""
    where = Document(None, source, lines).location
    if isinstance(data, str):
        _text(data, where(path))
    elif isinstance(data, dict):
        for k, v in data.items():
            _text(k, Location(source, lines.get(path + (k,)), path_to_str(path) or None))  # the key's line, the parent's path
            _check_json_text(v, path + (k,), source, lines)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_json_text(v, path + (i,), source, lines)


def _depth(data: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level + 1)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level + 1)
    return level


def read_text(path: str | os.PathLike, what: str = "a YAML or JSON") -> str:
    """A text file's content; every failure is an InputError naming the file.

    Only regular files are read, and at most MAX_BYTES of them: a FIFO would block forever and
    /dev/zero (or a huge file) would be read until memory runs out.
    """
    source = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", Location(source)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", Location(source)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a folder; expected {what} file", Location(source))
    if not stat.S_ISREG(st.st_mode):
        from .atomic import file_kind

        raise InputError(f"is {file_kind(st.st_mode)}, not a regular file; expected {what} file", Location(source))
    if st.st_size > MAX_BYTES:
        raise InputError(f"the file is {st.st_size} bytes; at most {MAX_BYTES} are read", Location(source))
    try:
        # O_NONBLOCK: if the path became a FIFO since the check, opening it does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"is not a regular file; expected {what} file", Location(source))
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", Location(source)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"the file is more than {MAX_BYTES} bytes; at most {MAX_BYTES} are read", Location(source))
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise InputError(f"binary data (a NUL byte); expected {what} text file", Location(source, line))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}); expected {what} text file",
                         Location(source, raw.count(b"\n", 0, exc.start) + 1)) from None


def read_document(path: str | os.PathLike) -> Document:
    """Read a file as a Document; every failure is an InputError naming the file."""
    return parse_text(read_text(path), str(path))


def expect_mapping(doc: Document, what: str) -> dict:
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "nothing"
        kind = {"list": "a list", "str": "a plain text value", "int": "a number", "float": "a number"}.get(kind, kind)
        raise InputError(f"the top level is {kind}; expected a mapping ({what})", Location(doc.source, 1))
    return doc.data
