"""A headless session: the same runtime as the app, polled once, then used and stopped."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlops_tui.backends.base import RunQuery
from mlops_tui.domain import BackendState
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.runtime import Runtime, build_runtime
from mlops_tui.services.snapshot import Snapshot


class CommandFailed(Exception):
    """A refused or failed action: the message goes to stderr and the exit code is 1."""


def session_options() -> argparse.ArgumentParser:
    """Flags every headless command takes, before or after its name."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--context", metavar="NAME", default=argparse.SUPPRESS, help="config context")
    p.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help="use the demo world")
    p.add_argument("--read-only", action="store_true", default=argparse.SUPPRESS, help="refuse every write")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the backends")
    return p


@contextmanager
def open_session(args: argparse.Namespace, run_query: RunQuery | None = None) -> Iterator[tuple[Runtime, Snapshot]]:
    from mlops_tui.config.loader import find_settings

    settings, path = find_settings(getattr(args, "config", None))
    runtime = build_runtime(
        settings,
        context=getattr(args, "context", None),
        demo=bool(getattr(args, "demo", False)) or settings is None,
        demo_runs=getattr(args, "demo_runs", None),
        read_only=bool(getattr(args, "read_only", False)),
        config_path=path if settings is not None else None,
    )
    if run_query is not None:
        for backend in runtime.hub.backends:
            backend.run_query = run_query  # before the hub starts: no thread to hand it to
    runtime.start()
    try:
        snapshot = runtime.hub.wait_for_first_poll(getattr(args, "timeout", 60.0))
        for status in snapshot.statuses:
            if status.state not in (BackendState.OK, BackendState.SLOW):
                print(f"mlops-tui: backend {status.name}: {status.state.value}: {status.message}", file=sys.stderr)
        yield runtime, snapshot
    finally:
        runtime.stop()


def act(coro) -> Any:
    """Run one action of the shared Actions service; a refusal becomes exit code 1."""
    try:
        return asyncio.run(coro)
    except ActionRefused as exc:
        raise CommandFailed(str(exc)) from exc


def print_json(items) -> None:
    print(json.dumps([i.model_dump(mode="json") for i in items], indent=2, ensure_ascii=False))


def print_table(header: list[str], rows: list[list[str]]) -> None:
    from mlops_tui.services.text import printable

    rows = [[printable(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
