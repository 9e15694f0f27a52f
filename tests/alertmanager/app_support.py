"""Helpers for driving the whole app against an Alertmanager (real, or the fault-injecting fake).

`am_app` builds `MlopsApp` exactly as a user's session would be built (`build_runtime` with one
`AlertmanagerBackend`, the audit log in the test's tmp dir, `MLOPS_TUI_USER` set first);
`screen` is what a person sees with the blanks between words kept; `wait_for_text` waits for
words on screen; `audit_lines` reads the audit log the app wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlops_tui.backends.alertmanager.backend import AlertmanagerBackend
from mlops_tui.domain import Alert
from mlops_tui.services.runtime import build_runtime
from mlops_tui.ui.app import MlopsApp
from mlops_tui.ui.dialogs.confirm import ConfirmDialog
from mlops_tui.ui.screens.alerts import AlertsScreen
from mlops_tui.ui.widgets.data_grid import DataGrid
from tests.conftest import wait_until
from tests.fakes.alertmanager_faults import FaultyAlertmanager, Mode
from tests.helpers import audit_lines, cursor_to, status_line, wait_for_data, wait_for_text  # noqa: F401  (re-exported to the tests)
from tests.helpers import screen_text as screen

SIZE = (160, 48)
USER = "alice-oncall"


def am_app(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: AlertmanagerBackend,
    *,
    user: str = USER,
    read_only: bool = False,
    refresh_seconds: float | None = 1.0,
) -> MlopsApp:
    """The app on one Alertmanager backend, as `user`, auditing to tmp_path/audit.jsonl.

    `refresh_seconds` shortens the hub's 15 s poll interval (None keeps it) so that the
    server's view of a write shows without waiting a whole interval.
    """
    monkeypatch.setenv("MLOPS_TUI_USER", user)
    runtime = build_runtime(None, backends=[backend], audit_path=tmp_path / "audit.jsonl", read_only=read_only)
    if refresh_seconds is not None:
        for runner in runtime.hub.runners.values():
            runner.refresh_seconds = refresh_seconds
    app = MlopsApp(runtime)
    return app


# -- what a person sees ------------------------------------------------------------------------
def toasts(app: MlopsApp) -> list[str]:
    """The words of each notification on screen, its lines joined (a toast wraps long text)."""
    from mlops_tui.ui.textual_internals import Toast

    lines = screen(app).splitlines()
    out = []
    for toast in app.screen.query(Toast):
        r = toast.region
        rows = [line[r.x : r.x + r.width] for line in lines[r.y : r.y + r.height]]
        out.append(" ".join(" ".join(rows).replace("▌", " ").split()))
    return out


async def wait_for_toast(app: MlopsApp, pilot, *words: str, timeout: float = 10.0) -> str:
    """Until one notification says every one of `words`; returns its text."""
    found = ""

    def shown() -> bool:
        nonlocal found
        found = next((t for t in toasts(app) if all(w in t for w in words)), "")
        return bool(found)

    try:
        await wait_until(shown, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(
            f"no notification says {words!r} within {timeout}s; notifications: {toasts(app)!r}"
        ) from None
    return found


async def wait_for_screen(app: MlopsApp, pilot, kind: type, timeout: float = 5.0) -> None:
    await wait_until(lambda: isinstance(app.screen, kind), timeout=timeout, pilot=pilot)
    await pilot.pause()  # let the new screen paint


async def paste(app: MlopsApp, pilot, text: str) -> None:
    """Paste `text` into the focused field, as a terminal delivers a paste (bracketed paste)."""
    from textual import events

    app.post_message(events.Paste(text))
    await pilot.pause()


def row_of(app: MlopsApp, name: str) -> str:
    """The Alerts list's screen line showing alert `name` (the first one)."""
    return next((line for line in screen(app).splitlines() if f" {name} " in line), "")


async def open_alerts(app: MlopsApp, pilot, *names: str) -> None:
    """Once the first snapshot is in: the Alerts view (key 5), showing every one of `names`."""
    await wait_for_data(app, pilot)
    await pilot.press("5")
    await wait_for_screen(app, pilot, AlertsScreen)
    await wait_for_text(app, pilot, *names, timeout=20)


async def confirm(app: MlopsApp, pilot, *words: str) -> str:
    """Wait for the yes/no dialog, check it says `words`, press y; returns what it said."""
    await wait_for_screen(app, pilot, ConfirmDialog)
    shown = await wait_for_text(app, pilot, "y confirm", *words)
    await pilot.press("y")
    return shown


async def wait_for_row(app: MlopsApp, pilot, name: str, text: str, timeout: float = 15.0) -> str:
    """Until the Alerts list's line of alert `name` reads `text` (the tests' apps poll every 1 s)."""
    line = ""

    def reads() -> bool:
        nonlocal line
        line = row_of(app, name)
        return text in line

    try:
        await wait_until(reads, timeout=timeout, interval=0.1, pilot=pilot)
    except AssertionError:
        raise AssertionError(f"the row of {name} never read {text!r}; last:\n{line}\n{screen(app)}") from None
    return line


def alerts_grid(app: MlopsApp) -> DataGrid:
    return app.screen.query_one("#alerts", DataGrid)


def named(name: str) -> Callable[[Alert], bool]:
    return lambda a: a.name == name


# -- the fake on a chosen port -----------------------------------------------------------------
def FakeOnPort(port: int, mode: Mode = "ok") -> FaultyAlertmanager:
    """The fault-injecting fake bound to a given port: an Alertmanager that 'comes back' at the
    address the app was already polling (a closed port until then)."""
    return FaultyAlertmanager(mode, port=port)
