"""The lines of a grouped `DataGrid`: a header line per group, then its rows unless folded.

Pure Python, no Textual. The grid's `RowIndex` still decides which rows show and in what
order; grouping only splits that order into groups (each group keeps the order of its
rows) and puts a header line, e.g. ``critical (5)``, before each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from mlops_tui.ui import glyphs

__all__ = ["GroupHeader", "GroupLines"]


@dataclass(frozen=True)
class GroupHeader:
    """One group as its header line shows it."""

    label: str
    count: int
    folded: bool

    @property
    def text(self) -> str:
        return f"{glyphs.GROUP_FOLDED if self.folded else glyphs.GROUP_OPEN} {self.label} ({self.count:,})"


class GroupLines:
    """Display lines of a grouped list.

    `labels[p]` is the group of the row at position `p` of the index's display order.
    Groups come in `rank` order (else in order of their first row). A line is either a
    header (`header_at`) or a row (`position_at` gives its position in the index order).
    """

    def __init__(
        self,
        labels: Sequence[str],
        folded: Collection[str] = (),
        rank: Callable[[str], Any] | None = None,
    ) -> None:
        members: dict[str, list[int]] = {}
        for position, label in enumerate(labels):
            members.setdefault(label, []).append(position)
        names = list(members)
        if rank is not None:
            names.sort(key=rank)
        self.headers: list[GroupHeader] = []
        lines: list[int] = []
        for number, name in enumerate(names):
            rows = members[name]
            shut = name in folded
            self.headers.append(GroupHeader(name, len(rows), shut))
            lines.append(-(number + 1))
            if not shut:
                lines.extend(rows)
        self.lines = lines
        self._line_of_position = {position: line for line, position in enumerate(lines) if position >= 0}
        self._line_of_group = {name: line for line, name in ((ln, self._name(ln)) for ln in range(len(lines))) if name}
        self._group_of_position = {p: name for name, rows in members.items() for p in rows}

    def _name(self, line: int) -> str | None:
        entry = self.lines[line]
        return self.headers[-entry - 1].label if entry < 0 else None

    def __len__(self) -> int:
        return len(self.lines)

    def header_at(self, line: int) -> GroupHeader | None:
        """The header at `line`, or None when it is a row (or out of range)."""
        if 0 <= line < len(self.lines) and self.lines[line] < 0:
            return self.headers[-self.lines[line] - 1]
        return None

    def position_at(self, line: int) -> int:
        """The index position of the row at `line`; -1 for a header or out of range."""
        if 0 <= line < len(self.lines):
            return max(-1, self.lines[line])
        return -1

    def line_of_position(self, position: int) -> int:
        """The line showing the row at index `position`; its group's header when folded."""
        line = self._line_of_position.get(position)
        if line is not None:
            return line
        group = self._group_of_position.get(position)
        return self.line_of_group(group) if group is not None else -1

    def line_of_group(self, label: str) -> int:
        """The header line of group `label`, or -1."""
        return self._line_of_group.get(label, -1)
