"""The local audit log: append-only JSON lines, flushed and fsynced after every entry."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_tui.core.secrets import redact_data
from mlops_tui.domain.base import utcnow


@dataclass(frozen=True)
class SkippedLine:
    """A line of the log that is not an entry: its number (from 1) and why."""

    number: int
    reason: str


@dataclass(frozen=True)
class AuditContents:
    entries: list[dict[str, Any]]
    skipped: list[SkippedLine]


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(
        self,
        *,
        user: str,
        action: str,
        target: str,
        outcome: str,
        context: str = "",
        backend: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        entry = {
            "time": utcnow().isoformat(),
            "user": user,
            "context": context,
            "action": action,
            "target": target,
            "backend": backend,
            "outcome": outcome,
            "detail": dict(detail or {}),
        }
        # mask before encoding: json.dumps escapes `"` and `\` and would hide a secret from a
        # mask applied to its output; `default=str` values are turned to text first for that
        entry = redact_data(json.loads(json.dumps(entry, default=str)))
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                # Another process (a second app, a script) may append to the same file: the lock
                # keeps whole lines apart, and one write per entry keeps each line in one piece.
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # a writer killed mid-line: never glue our entry to it
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the lock
        return entry

    def read(self) -> AuditContents:
        """Every entry, oldest first, and the lines that are not entries.

        A missing file is an empty log. A line that is not a JSON object (a torn last line
        after a crash, a hand edit) is skipped and reported, so it cannot hide the rest.
        Raises OSError when the file exists but cannot be read.
        """
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return AuditContents([], [])
        entries: list[dict[str, Any]] = []
        skipped: list[SkippedLine] = []
        lines = text.splitlines()
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                torn = number == len(lines) and not text.endswith("\n")
                skipped.append(
                    SkippedLine(
                        number,
                        "not valid JSON: a torn last line (its writer stopped mid-entry)" if torn else "not valid JSON",
                    )
                )
                continue
            if not isinstance(entry, dict):
                skipped.append(SkippedLine(number, "not a JSON object"))
                continue
            entries.append(entry)
        return AuditContents(entries, skipped)

    def entries(self) -> list[dict[str, Any]]:
        """The readable entries, oldest first (see `read` for the lines skipped)."""
        return self.read().entries
