"""Rule conditions: a small typed model, compiled to durable-rules JSON and evaluable in Python.

A condition is a list of patterns; each pattern names a fact type, binds the matched fact
to a name, and tests its fields. Tests on a field the fact lacks are not met (as in
durable-rules), except `exists: false`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPS = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "has", "has_any")
_CMP = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


@dataclass(frozen=True)
class Ref:
    """A field of a fact bound earlier in the same rule (a join)."""

    binding: str
    field: str

    def __str__(self) -> str:
        return f"{self.binding}.{self.field}"

    def lookup(self, matched: dict[str, dict]) -> Any:
        """The referenced field of the fact bound to `binding`, or None."""
        return matched.get(self.binding, {}).get(self.field)


def resolve(value: Any, matched: dict[str, dict]) -> Any:
    """A literal as it is; a Ref looked up in the facts a rule matched."""
    return value.lookup(matched) if isinstance(value, Ref) else value


@dataclass(frozen=True)
class Test:
    field: str
    op: str
    value: Any  # a literal, a tuple of literals (in, not_in, has_any) or a Ref

    def describe(self) -> str:
        sym = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in", "has": "has", "has_any": "has any of"}
        if self.op == "exists":
            return f"{self.field} {'is present' if self.value else 'is absent'}"
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.field} {sym[self.op]} {value}"

    def to_durable(self) -> dict:
        f, v = self.field, self.value
        if isinstance(v, Ref):
            v = {v.binding: v.field}
        if self.op == "eq":
            return {f: v}
        if self.op == "ne":
            return {"$neq": {f: v}}
        if self.op in _CMP:
            return {_CMP[self.op]: {f: v}}
        if self.op == "in":
            return {"$or": [{f: x} for x in v]} if len(v) > 1 else {f: v[0]}
        if self.op == "not_in":
            return {"$and": [{"$neq": {f: x} } for x in v]} if len(v) > 1 else {"$neq": {f: v[0]}}
        if self.op == "exists":
            return {"$ex": {f: 1}} if v else {"$nex": {f: 1}}
        if self.op == "has":
            return {"$iany": {f: {"$eq": {"$i": v}}}}
        if self.op == "has_any":
            return {"$or": [{"$iany": {f: {"$eq": {"$i": x}}}} for x in v]} if len(v) > 1 else {"$iany": {f: {"$eq": {"$i": v[0]}}}}
        raise ValueError(self.op)  # pragma: no cover - ops are validated on load

    def evaluate(self, data: dict, bound: dict[str, dict]) -> tuple[bool, Any, Any]:
        """(met, the value looked at, the threshold it was compared with)."""
        present = self.field in data
        actual = data.get(self.field)
        target = self.value
        if isinstance(target, Ref):
            other = bound.get(target.binding, {})
            if target.field not in other:
                return False, actual, f"{target} (absent)"
            target = other[target.field]
        if self.op == "exists":
            return present == bool(target), actual if present else "(absent)", "present" if target else "absent"
        if not present:
            return False, "(absent)", target
        op = self.op
        if op == "eq":
            return actual == target and type(actual) is type(target) or _num_eq(actual, target), actual, target
        if op == "ne":
            return not (actual == target), actual, target
        if op in _CMP:
            if not _is_num(actual) or not _is_num(target):
                return False, actual, target
            return {"gt": actual > target, "gte": actual >= target, "lt": actual < target, "lte": actual <= target}[op], actual, target
        if op == "in":
            return any(actual == x and type(actual) is type(x) for x in target), actual, list(target)
        if op == "not_in":
            return all(actual != x for x in target), actual, list(target)
        if op == "has":
            return isinstance(actual, list) and target in actual, actual, target
        if op == "has_any":
            return isinstance(actual, list) and any(x in actual for x in target), actual, list(target)
        raise ValueError(op)  # pragma: no cover


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _num_eq(a: Any, b: Any) -> bool:
    return _is_num(a) and _is_num(b) and a == b


@dataclass(frozen=True)
class Pattern:
    binding: str
    fact_type: str
    tests: tuple[Test, ...]
    any_of: tuple[tuple[Test, ...], ...] = ()  # met when any one group has all its tests met

    def to_durable(self) -> dict:
        # `$or` tests go after the others: durable-rules ignores a join test (a Ref) that comes
        # after an `$or` in the same pattern (reproduced; found by tests/test_reference.py).
        tests = [t.to_durable() for t in self.tests]
        parts: list[dict] = [{"type": self.fact_type}]
        parts.extend(t for t in tests if "$or" not in t)
        parts.extend(t for t in tests if "$or" in t)
        if self.any_of:
            groups = [{"$and": [t.to_durable() for t in g]} if len(g) > 1 else g[0].to_durable() for g in self.any_of]
            parts.append({"$or": groups} if len(groups) > 1 else groups[0])
        return {self.binding: {"$and": parts} if len(parts) > 1 else parts[0]}

    def matches(self, data: dict, bound: dict[str, dict]) -> bool:
        if not all(t.evaluate(data, bound)[0] for t in self.tests):
            return False
        return not self.any_of or any(all(t.evaluate(data, bound)[0] for t in g) for g in self.any_of)

    def refs(self) -> list[Ref]:
        tests = list(self.tests) + [t for g in self.any_of for t in g]
        return [t.value for t in tests if isinstance(t.value, Ref)]
