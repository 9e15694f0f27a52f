"""A headless session: the same runtime as the app, polled once, then used and stopped."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

from mlops_tui.backends.base import RunQuery
from mlops_tui.core.secrets import redact_data
from mlops_tui.core.text import inert_json, printable
from mlops_tui.domain import BackendState
from mlops_tui.services.actions import ActionRefused
from mlops_tui.services.runtime import Runtime, open_runtime
from mlops_tui.services.snapshot import Snapshot

T = TypeVar("T")


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
def open_session(
    args: argparse.Namespace, run_query: RunQuery | None = None, capability: str | None = None
) -> Iterator[tuple[Runtime, Snapshot]]:
    """The session's runtime and its first answer.

    With `capability` ("runs", "alerts", ...) the answer is the first snapshot in which every
    source of that kind answered in full (MLflow streams runs in pages: a first page is not the
    answer), or in which the missing ones failed, or the one at `--timeout`. See `list_output`.
    """
    runtime = open_runtime(
        getattr(args, "config", None),
        context=getattr(args, "context", None),
        demo=bool(getattr(args, "demo", False)),
        demo_runs=getattr(args, "demo_runs", None),
        read_only=bool(getattr(args, "read_only", False)),
    )
    if run_query is not None:
        runtime.hub.set_run_query(run_query)
    runtime.start()
    try:
        timeout = getattr(args, "timeout", 60.0)
        if capability is None:
            snapshot = runtime.hub.wait_for_first_poll(timeout)
            for status in snapshot.statuses:
                if status.state not in (BackendState.OK, BackendState.SLOW):
                    print(
                        printable(f"mlops-tui: backend {status.name}: {status.state.value}: {status.message}"),
                        file=sys.stderr,
                    )
        else:
            snapshot = wait_for_coverage(runtime, capability, timeout)
        yield runtime, snapshot
    finally:
        runtime.stop()


def wait_for_coverage(runtime: Runtime, capability: str, timeout: float) -> Snapshot:
    """The first snapshot in which `capability` is complete or settled (failed sources), or the last."""
    deadline = time.monotonic() + timeout
    snapshot = runtime.hub.snapshot
    while not snapshot.coverage(capability).settled and time.monotonic() < deadline:
        time.sleep(0.02)
        snapshot = runtime.hub.snapshot
    return snapshot


def list_output(
    args: argparse.Namespace,
    snapshot: Snapshot,
    capability: str,
    items: Sequence[Any],
    header: list[str],
    row: Callable[[Any], list[str]],
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> int:
    """Print a list command's answer, as a table or `--json`; 1 when it is not the whole answer.

    The JSON is `{"sources": [{"name", "kind", "state", "message", "progress", "complete",
    "cut"}], "items": [...]}`, so a script can tell an empty answer from an unknown one. Every
    source of the kind that failed or had not finished loading is named on stderr, and the exit
    code is 1. A source whose answer a cap of the config cut down (`max_alerts`) is named on
    stderr too, with how many it left out and the setting to raise, and has a `cut` object.
    """
    coverage = snapshot.coverage(capability)
    missing = {s.name for s in coverage.missing}
    cuts = cut_by_source(snapshot, capability)
    if getattr(args, "json", False):
        sources = [
            {
                "name": s.name,
                "kind": s.kind,
                "state": s.state.value,
                "message": s.message,
                "progress": s.progress,
                "complete": s.name not in missing,
                "cut": cuts.get(s.name),
            }
            for s in coverage.sources
        ]
        answer = {
            "sources": sources,
            "items": [{**i.model_dump(mode="json"), **(extra(i) if extra else {})} for i in items],
        }
        # secrets echoed back as data masked, hidden characters written as \uXXXX escapes
        print(inert_json(json.dumps(redact_data(answer), indent=2, ensure_ascii=False)))
    else:
        print_table(header, [row(i) for i in items])
    for name, cut in cuts.items():
        left_out = f"{cut['left_out']:,}" if cut["left_out"] is not None else "some"
        print(
            printable(
                f"mlops-tui: {capability} cut: {name} {cut['note']}; {left_out} {capability} left out"
                f" (raise {cut['setting'] or 'its cap'} in that backend's config to see more)",
                None,
            ),
            file=sys.stderr,
        )
    if coverage.complete:
        return 0

    if not coverage.sources:
        print(f"mlops-tui: {capability} unknown: {coverage.describe()}", file=sys.stderr)
    for status in coverage.missing:
        words = printable(coverage.describe_source(status))
        if status.state in (BackendState.OK, BackendState.SLOW, BackendState.PENDING):
            words += f" (incomplete after --timeout {getattr(args, 'timeout', 60.0):g} s)"
        print(f"mlops-tui: {capability} incomplete: {words}", file=sys.stderr)
    return 1


# A backend's note of what its cap left out: "showing 10,000 of 200,000 alerts (cap: max_alerts = 10,000)"
_CUT_NOTE = re.compile(r"showing ([\d,]+) of ([\d,]+) .*?\(cap: (\w+) = ")


def cut_by_source(snapshot: Snapshot, capability: str) -> dict[str, dict[str, Any]]:
    """Per source of `capability` whose answer its cap cut down: `{"shown", "total", "left_out",
    "setting", "note"}` (numbers None if the note does not say them)."""
    names = {s.name for s in snapshot.coverage(capability).sources}
    cuts: dict[str, dict[str, Any]] = {}
    for line in snapshot.cut_notes:
        name, _, note = line.partition(": ")
        if name not in names or f" {capability} (cap" not in note:
            continue
        found = _CUT_NOTE.search(note)
        shown, total = (int(found[1].replace(",", "")), int(found[2].replace(",", ""))) if found else (None, None)
        cuts[name] = {
            "shown": shown,
            "total": total,
            "left_out": total - shown if shown is not None and total is not None else None,
            "setting": found[3] if found else None,
            "note": note,
        }
    return cuts


def act(coro: Coroutine[Any, Any, T]) -> T:
    """Run one action of the shared Actions service; a refusal becomes exit code 1."""
    try:
        return asyncio.run(coro)
    except ActionRefused as exc:
        raise CommandFailed(str(exc)) from exc


def print_json(items: Iterable[BaseModel]) -> None:
    print(inert_json(json.dumps(redact_data([i.model_dump(mode="json") for i in items]), indent=2, ensure_ascii=False)))


def print_table(header: list[str], rows: list[list[str]]) -> None:
    from mlops_tui.core.text import printable

    rows = [[printable(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
