"""The installed `advisor` script's entry point.

Importing the command line (typer, rich) takes a noticeable moment; a Ctrl-C in that moment
used to end in a traceback, because the command line's own handler was not installed yet.
This module imports nothing heavy, so the handler covers the import too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _load_cli() -> Callable[[], None]:
    from .cli import main as cli_main

    return cli_main


def main(load: Callable[[], Callable[[], None]] = _load_cli) -> None:
    try:
        cli_main = load()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    cli_main()
