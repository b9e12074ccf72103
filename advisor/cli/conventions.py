"""The command line's conventions, kept in one place so every command gets them.

- `-h` and `--help` both show help (the context setting is inherited by every subcommand);
- usage reads `advisor evaluate [OPTIONS] STATE` as in other Unix tools: an argument or an
  option value is named by an upper-case metavar (FILE, RULE_ID), never `{state}` or `<path>`;
- a flag is shown as a flag, without a `<bool>` type beside it.

Typer (0.29) writes required arguments as `{name}` and every parameter's Python type; these
classes rewrite that display only, never how a value is parsed.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
_BRACED = re.compile(r"^\{(.+)\}(\.\.\.)?$")


def _no_type(ctx: Any = None) -> None:
    return None


class _Conventions:
    def _tidy(self, ctx: Any) -> None:
        for p in self.get_params(ctx):  # type: ignore[attr-defined]
            if p.param_type_name == "argument":
                if p.metavar is None:
                    p.metavar = p.name.upper()
                p.display_type_rich = _no_type  # the metavar says it (STATE), not "<path>"
            elif getattr(p, "is_flag", False) and not getattr(p, "count", False):
                p.metavar = ""  # a flag takes no value: no "<bool>" beside it
            elif p.metavar is None:
                p.metavar = p.name.upper()

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        self._tidy(ctx)
        pieces = super().collect_usage_pieces(ctx)  # type: ignore[misc]
        return [_BRACED.sub(r"\1\2", p) for p in pieces]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._tidy(ctx)
        super().format_help(ctx, formatter)  # type: ignore[misc]


class Command(_Conventions, TyperCommand):
    """A command with the advisor's help conventions."""


class Group(_Conventions, TyperGroup):
    """A command group with the advisor's help conventions."""


class Typer(typer.Typer):
    """typer.Typer whose commands and groups follow the conventions above."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", Group)
        kwargs.setdefault("context_settings", CONTEXT_SETTINGS)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)
