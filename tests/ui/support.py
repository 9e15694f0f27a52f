"""Shared helpers for the Pilot tests of the UI: build a demo app, find rows, read the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_tui.backends.demo.backend import DemoBackend
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.helpers import (
    audit_lines,
    cursor_to,
    demo_app,
    poll_now,
    wait_for_data,
    wait_for_generation,
    wait_for_text,
    wait_for_writes,
)
from tests.helpers import screen_text as screen

SIZE = (160, 48)
USER = "zed"  # not a demo user: never the requester of a seeded promotion request

# A simulated moment at which the demo world has incidents with many minutes to run:
# ModelErrorRateHigh on fraud-api-prod and demand-api, ModelLatencyHigh on fraud-api-canary.
INCIDENT_EPOCH = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)


def incident_app(tmp_path: Path, **kw: Any) -> MlopsApp:
    """The default demo world (seed, 300 runs, speed 1), pinned to INCIDENT_EPOCH."""
    backend = DemoBackend("demo", DemoBackend.Options(runs=300, epoch=INCIDENT_EPOCH))
    return demo_app(tmp_path, backends=[backend], **kw)


def box(text: str, title: str) -> str:
    """The text inside the bordered box whose top border holds `title` (columns inside the border)."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if title in line)
    at = lines[top].index(title)
    left = lines[top].rindex("╭", 0, at)
    right = lines[top].index("╮", at)
    inside = []
    for line in lines[top + 1 :]:
        if line[left : left + 1] == "╰":
            break
        inside.append(line[left + 1 : right].rstrip())
    return "\n".join(inside)


def grid(app: MlopsApp, selector: str) -> DataGrid:
    return app.screen.query_one(selector, DataGrid)


def focused_grid(app: MlopsApp) -> DataGrid:
    focused = app.screen.focused
    assert isinstance(focused, DataGrid), f"focus is on {focused!r}, not a list"
    return focused


async def type_text(pilot, text: str) -> None:
    """Type `text` key by key (Pilot turns ":", "/", " " ... into their key names)."""
    await pilot.press(*text)


async def wait_for_match(app: MlopsApp, pilot, pattern: str, timeout: float = 5.0) -> re.Match[str]:
    """Until the regular expression `pattern` matches the screen's text; returns the match."""
    found: re.Match[str] | None = None
    seen = ""

    def shown() -> bool:
        nonlocal found, seen
        seen = screen(app)
        found = re.search(pattern, seen)
        return found is not None

    try:
        await wait_until(shown, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"/{pattern}/ not on screen within {timeout}s; screen:\n{seen}") from None
    assert found is not None
    return found


async def wait_for_dialog(app: MlopsApp, pilot, kind: type, title: str, timeout: float = 5.0) -> str:
    """Until a dialog of type `kind` is up and its `title` painted; returns the screen's text."""
    await wait_until(lambda: isinstance(app.screen, kind), timeout=timeout, pilot=pilot)
    return await wait_for_text(app, pilot, title, timeout=timeout)


async def open_list(app: MlopsApp, pilot, key: str) -> DataGrid:
    """Wait for the first data, press a view's key and return the list that has the focus."""
    await wait_for_data(app, pilot)
    await pilot.press(key)
    await pilot.pause()
    return focused_grid(app)


def watch_layouts(monkeypatch) -> list[str]:
    """From now on, the class name of every widget that asks for a layout (or a recompose):
    the whole screen arranged and painted again."""
    from textual.widget import Widget

    laid_out: list[str] = []
    refresh = Widget.refresh

    def watched(self, *regions, repaint=True, layout=False, recompose=False):
        if layout or recompose:
            laid_out.append(type(self).__name__)
        return refresh(self, *regions, repaint=repaint, layout=layout, recompose=recompose)

    monkeypatch.setattr(Widget, "refresh", watched)
    return laid_out


__all__ = [
    "INCIDENT_EPOCH",
    "SIZE",
    "USER",
    "audit_lines",
    "box",
    "cursor_to",
    "demo_app",
    "focused_grid",
    "grid",
    "incident_app",
    "open_list",
    "poll_now",
    "screen",
    "type_text",
    "wait_for_data",
    "wait_for_dialog",
    "wait_for_generation",
    "wait_for_match",
    "wait_for_text",
    "wait_for_writes",
    "watch_layouts",
]
