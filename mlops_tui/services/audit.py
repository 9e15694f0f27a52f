"""The local audit log: append-only JSON lines, flushed and fsynced after every entry."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_tui.config.secrets import redact_data
from mlops_tui.domain.base import utcnow


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
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a torn last line after a crash must not hide the rest
        return out
