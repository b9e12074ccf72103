"""Dose arithmetic on the rulebook's ladder: generic, driven by the rule's parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import Ref
from .facts import ladder_level
from .rulebook import Rulebook


@dataclass(frozen=True)
class DoseContext:
    ladder: tuple[tuple[int, str], ...]
    current: int | None  # the patient's ladder level
    standard: int

    @classmethod
    def of(cls, rulebook: Rulebook, dose_mg: int | None, schedule: str) -> "DoseContext":
        standard = next(i for i, (mg, _) in enumerate(rulebook.ladder) if mg == rulebook.standard_mg)
        return cls(rulebook.ladder, ladder_level(dose_mg, schedule, rulebook.ladder), standard)

    def base(self, name: Any, matched: dict[str, dict]) -> int:
        if name == "current":
            return self.current if self.current is not None else self.standard
        if name == "standard":
            return self.standard
        if name == "max":
            return len(self.ladder) - 1
        if name == "lowest":
            return 0
        if isinstance(name, str) and "." in name:  # a dose from a matched fact, e.g. history.dose_mg
            binding, fld = name.split(".")
            mg = matched.get(binding, {}).get(fld)
            level = ladder_level(mg, "daily", self.ladder) if isinstance(mg, int) else None
            return level if level is not None else self.base("current", matched)
        raise ValueError(name)  # pragma: no cover - validated on load

    def level(self, expr: dict, matched: dict[str, dict]) -> int:
        lvl = self.base(expr["ladder"], matched) + int(expr.get("step", 0))
        if "at_most" in expr:
            lvl = min(lvl, self.base(expr["at_most"], matched))
        return max(0, min(len(self.ladder) - 1, lvl))

    def dose(self, level: int) -> dict[str, Any]:
        mg, schedule = self.ladder[level]
        return {"dose_mg": mg, "schedule": schedule}


def resolve_params(params: dict[str, Any], ctx: DoseContext, matched: dict[str, dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    start_level: int | None = None
    for key, value in params.items():
        if key == "dose_mg" and isinstance(value, dict):
            start_level = ctx.level(value, matched)
            out.update(ctx.dose(start_level))
        elif key == "titration":
            continue
        elif isinstance(value, Ref):
            out[key] = value.lookup(matched)
        elif isinstance(value, dict) and "ref" in value:
            x = Ref(*value["ref"].split(".")).lookup(matched)
            if isinstance(x, (int, float)):
                x = x * value.get("times", 1)
                step = value.get("round_to")
                x = round(x / step) * step if step else x
                x = int(x) if float(x).is_integer() else round(x, 2)
            out[key] = x
        else:
            out[key] = value
    if "dose_mg" in params and isinstance(params["dose_mg"], int):
        out.setdefault("schedule", "twice_daily" if params["dose_mg"] == 800 else "daily")
    if "titration" in params:
        start = start_level if start_level is not None else (ctx.current if ctx.current is not None else ctx.standard)
        out["titration"] = titration(params["titration"], start, ctx, matched)
    return out


def titration(spec: Any, start: int, ctx: DoseContext, matched: dict[str, dict]) -> list[dict[str, Any]]:
    steps = []
    if isinstance(spec, dict):
        target = ctx.level({"ladder": spec["step_up_to"]}, matched)
        for n, lvl in enumerate(range(start + 1, target + 1), start=1):
            steps.append({**ctx.dose(lvl), "after_days": n * spec["every_days"]})
        return steps
    last = start
    for step in spec:
        lvl = ctx.level(step, matched)
        if lvl > last:  # a plan only ever steps up
            steps.append({**ctx.dose(lvl), "after_days": step["after_days"]})
            last = lvl
    return steps
