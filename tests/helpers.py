"""Helpers for driving the app in tests: build it, wait for data, read what the screen shows."""

from __future__ import annotations

import html
import json
import re
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
    """Until every backend has answered once and the screen has repainted."""
    await wait_until(
        lambda: app.snapshot.statuses and all(s.state.value != "pending" for s in app.snapshot.statuses),
        timeout=timeout,
        pilot=pilot,
    )
    await pilot.pause(0.1)
