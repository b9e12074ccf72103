"""One error root: every failure a user can cause carries where it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None
    path: str | None = None  # dotted key path inside the document, e.g. labs.alt.unit

    def __str__(self) -> str:
        head = ""
        if self.file:
            head = self.file
            if self.line:
                head += f":{self.line}"
        if self.path:
            head = f"{head}: {self.path}" if head else self.path
        return head


class AdvisorError(Exception):
    """An error the user can fix; the CLI prints it and exits 2, never a traceback."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None, problems: list[str] | None = None,
                 problem_lines: tuple[int | None, ...] = ()):
        self.message = message
        self.location = location or Location()
        self.problems = problems or []
        self.problem_lines = problem_lines  # the line of each problem, where known
        super().__init__(str(self))

    @property
    def line(self) -> int | None:
        """The line to point at: the error's own, else the first line among its problems."""
        return self.location.line or next((n for n in self.problem_lines if n), None)

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        return text


class InputError(AdvisorError):
    """A state or scenario file is malformed or invalid."""


class RulebookError(AdvisorError):
    """A rulebook is malformed, or a rule is invalid."""


class EngineError(AdvisorError):
    """The rule engine failed; raised instead of durable-rules' own exceptions."""

    exit_code = 3


class WorkerError(AdvisorError):
    """A batch worker process died (killed by a signal or the out-of-memory killer)."""

    exit_code = 3


def path_to_str(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
