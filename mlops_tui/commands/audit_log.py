"""`mlops-tui audit [--json]`: the local audit log, one line per entry, oldest first."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mlops_tui.commands.session import CommandFailed
from mlops_tui.config.paths import audit_log_path
from mlops_tui.services.audit import AuditLog
from mlops_tui.services.text import printable

# Shown as columns; every other field (and the detail's keys) is shown as key=value.
_COLUMNS = {"time", "user", "context", "action", "target", "backend", "outcome", "detail"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("audit", parents=parents, help="show the local audit log")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_audit)


def audit_line(entry: dict[str, Any]) -> str:
    def text(key: str) -> str:
        value = entry.get(key)
        return "-" if value in (None, "") else str(value)

    parts = [text("time"), text("user")]
    if entry.get("context"):
        parts.append(f"[{entry['context']}]")
    parts += [text("action"), text("target")]
    if entry.get("backend"):
        parts.append(f"via {entry['backend']}")
    parts.append(f"-> {text('outcome')}")
    extra = {k: v for k, v in entry.items() if k not in _COLUMNS}
    detail = entry.get("detail")
    if isinstance(detail, dict):
        extra.update(detail)
    elif detail not in (None, ""):
        extra["detail"] = detail
    for key, value in extra.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}={shown}")
    # One entry, one line; what a backend named (a model, a target) cannot move the cursor.
    return "  ".join(printable(" ".join(str(p).split())) for p in parts)


def cmd_audit(args: argparse.Namespace) -> int:
    log = AuditLog(audit_log_path())
    try:
        contents = log.read()
    except OSError as exc:
        raise CommandFailed(f"cannot read the audit log {log.path}: {exc.strerror or exc}") from None
    for line in contents.skipped:
        print(f"mlops-tui: {log.path}:{line.number}: skipped a line that is {line.reason}", file=sys.stderr)
    if args.json:
        print(json.dumps(contents.entries, indent=2, ensure_ascii=False))
        return 0
    if not contents.entries:
        print("no audit entries")
        return 0
    for entry in contents.entries:
        print(audit_line(entry))
    return 0
