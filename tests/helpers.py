"""Helpers for driving the app in tests: build it, wait for data, read what the screen shows."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len

from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from tests.conftest import wait_until

_CELL_TEXT = re.compile(
    r'<text class="[^"]*-r\d+" x="([\d.]+)" y="([\d.]+)" textLength="[\d.]+"[^>]*>(.*?)</text>', re.S
)
_TAG = re.compile(r"<[^>]+>")
_CHAR_WIDTH, _LINE_HEIGHT, _FIRST_BASELINE = 12.2, 24.4, 20.0  # Rich's SVG export geometry


def screen_text(app: MlopsApp) -> str:
    """What a person sees, line by line, with every character in its column.

    Read from the screenshot; the blanks between differently styled runs of text are kept
    (Rich's SVG export draws no text for them), so a phrase can be looked for as written.
    """
    svg = app.export_screenshot()
    rows: dict[int, list[tuple[int, str]]] = {}
    for m in _CELL_TEXT.finditer(svg):
        col = round(float(m.group(1)) / _CHAR_WIDTH)
        row = round((float(m.group(2)) - _FIRST_BASELINE) / _LINE_HEIGHT)
        text = html.unescape(_TAG.sub("", m.group(3))).replace("\xa0", " ")
        rows.setdefault(row, []).append((col, text))
    lines = []
    for row in range(max(rows, default=-1) + 1):
        line = ""
        for col, text in sorted(rows.get(row, [])):
            width = cell_len(line)
            if col > width:
                line += " " * (col - width)
            line += text
        lines.append(line.rstrip())
    return "\n".join(lines)


def status_line(app: MlopsApp) -> str:
    """The status bar's line (it starts `ctx `)."""
    return next((line for line in screen_text(app).splitlines() if line.lstrip().startswith("ctx ")), "")


async def wait_for_text(app: MlopsApp, pilot, *texts: str, timeout: float = 10.0) -> str:
    """Until every one of `texts` is on screen; returns the screen."""
    seen = ""

    def shown() -> bool:
        nonlocal seen
        seen = screen_text(app)
        return all(t in seen for t in texts)

    try:
        await wait_until(shown, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"{texts!r} not all on screen within {timeout}s; screen:\n{seen}") from None
    return seen


async def cursor_to(pilot, grid, match, limit: int = 500):
    """Move a list's cursor with the keys a user presses (g, then j) onto a matching row."""
    await pilot.press("g")
    for _ in range(limit):
        row = grid.cursor_row
        if row is not None and match(row):
            return row
        before = grid.cursor_index
        await pilot.press("j")
        if grid.cursor_index == before:
            break
    raise AssertionError("no row of the list matches")


def audit_lines(tmp_path: Path) -> list[dict]:
    """The audit log a test's app wrote to tmp_path/audit.jsonl."""
    path = tmp_path / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def demo_app(tmp_path: Path, *, runs: int = 300, read_only: bool = False, backends=None, **kw) -> MlopsApp:
    runtime = build_runtime(
        None,
        demo=True,
        demo_runs=runs,
        read_only=read_only,
        audit_path=tmp_path / "audit.jsonl",
        backends=backends,
        **kw,
    )
    return MlopsApp(runtime)


async def wait_for_data(app: MlopsApp, pilot, timeout: float = 15.0) -> None:
    """Until every backend has answered once and the screens have been given that snapshot."""
    await wait_until(
        lambda: app.snapshot.statuses and all(s.state.value != "pending" for s in app.snapshot.statuses),
        timeout=timeout,
        pilot=pilot,
    )
    await pilot.pause()  # the screens took the snapshot with it; let them repaint


async def wait_for_generation(app: MlopsApp, pilot, after: int, timeout: float = 10.0) -> None:
    """Until the app shows a snapshot newer than generation `after` (its screens were given it)."""
    try:
        await wait_until(lambda: app.snapshot.generation > after, timeout=timeout, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"no snapshot after generation {after} within {timeout}s") from None
    await pilot.pause()


async def poll_now(app: MlopsApp, pilot, timeout: float = 10.0) -> None:
    """Have every backend polled now and wait until a newer snapshot is shown."""
    generation = app.snapshot.generation
    app.runtime.hub.refresh()
    await wait_for_generation(app, pilot, generation, timeout)


async def wait_for_poll_seen_by_server(
    app: MlopsApp, pilot, server_saw: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Until the app shows a snapshot from a poll that the server has seen.

    `server_saw()` is true once the server received a request of a poll that began after the
    moment of interest (e.g. a GET after a failed POST). The next snapshot generation after
    that moment comes from that poll or a later one; the hub is asked to poll now, so that if
    that poll's snapshot is already shown, another follows at once instead of an interval later.
    """
    try:
        await wait_until(server_saw, timeout=timeout, interval=0.05, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"the server saw no new poll within {timeout}s") from None
    generation = app.snapshot.generation
    app.runtime.hub.refresh()
    await wait_for_generation(app, pilot, generation, timeout)


async def wait_for_writes(app: MlopsApp, pilot, timeout: float = 10.0) -> None:
    """Until every key already pressed has been handled and every write it started has ended.

    Before asserting that a double press wrote once: a second write, were there one, is a
    worker started by the second press; once the message queue is idle it has started, and
    when this returns it has finished (and audited).
    """
    await pilot.pause()
    await asyncio.wait_for(app.workers.wait_for_complete(), timeout)
    await pilot.pause()
