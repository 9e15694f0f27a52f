"""The one error type of the config layer, written for the person who has to fix the file.

A `ConfigError` names the file, the spot in it (a line, or a dotted field path such as
``contexts.prod.backends[0].url``), what is wrong and what to do about it. `render()` gives
plain text that fits on one screen; nothing here imports textual or rich.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

_WIDTH = 78


def _wrap(text: str) -> list[str]:
    indent = text[: len(text) - len(text.lstrip())]
    return textwrap.wrap(
        text,
        width=_WIDTH,
        subsequent_indent=indent + "   " if indent else "",
        break_long_words=False,
        break_on_hyphens=False,
    )


class ConfigError(Exception):
    """A problem with the settings file (or with the way the user asked for it)."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        where: str | None = None,
        fix: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.where = where
        self.fix = fix
        self.line = line
        self.column = column
        super().__init__(str(self))

    # A short one-liner for logs and str(); render() is what people should read.
    def __str__(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(str(self.path))
        spot = self._spot()
        if spot:
            parts.append(spot)
        parts.append(self.problem)
        return ": ".join(parts)

    def _spot(self) -> str:
        bits = []
        if self.where:
            bits.append(self.where)
        if self.line is not None and (not self.where or not self.where.startswith("line ")):
            if self.column is not None:
                bits.append(f"line {self.line}, column {self.column}")
            else:
                bits.append(f"line {self.line}")
        if len(bits) == 2:
            return f"{bits[0]} ({bits[1]})"
        return bits[0] if bits else ""

    def render(self) -> str:
        """Plain text for a terminal: which file, where in it, what is wrong, how to fix it."""
        if self.path is not None:
            lines = [f"mlops-tui: problem in config file {self.path}"]
        else:
            lines = [f"mlops-tui: {self.heading}"]
        spot = self._spot()
        if spot:
            lines.append(f"  where:   {spot}")
        lines.append(f"  problem: {self.problem}")
        if self.fix:
            fix_lines = [wrapped for paragraph in self.fix.splitlines() for wrapped in (_wrap(paragraph) or [""])]
            lines.append(f"  fix:     {fix_lines[0]}")
            lines.extend(f"           {rest}" for rest in fix_lines[1:])
        return "\n".join(lines)

    heading = "configuration problem"


class SecretError(ConfigError):
    """A secret reference (``keyring:NAME`` / ``env:VAR``) could not be resolved or stored."""

    heading = "secret problem"
