"""The status bar: every backend with its state and the age of its last good refresh."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlops_tui.domain import BackendState, BackendStatus
from mlops_tui.ui import glyphs
from mlops_tui.ui.format import ago
from mlops_tui.ui.literal import visible
from mlops_tui.ui.themes import ink

_STATE_STYLE = {
    BackendState.OK: (glyphs.HEALTHY, "ok"),
    BackendState.SLOW: (glyphs.DEGRADED, "degraded"),
    BackendState.PENDING: (glyphs.PENDING, "unknown"),
    BackendState.UNREACHABLE: (glyphs.FAILED, "down"),
    BackendState.UNAUTHORISED: (glyphs.FAILED, "down"),
    BackendState.ERROR: (glyphs.FAILED, "down"),
}


def describe_status(status: BackendStatus) -> Text:
    symbol, role = _STATE_STYLE[status.state]
    style = ink(role)
    text = Text()
    text.append(f"{symbol} ", style=style)
    text.append(visible(status.name), style="bold")
    text.append(f" {status.state.value}", style=style)
    if status.state != BackendState.PENDING:
        text.append(f" {ago(status.last_ok) if status.last_ok else 'never'}", style="dim")
    if status.progress:
        text.append(f" {glyphs.BUSY} {visible(status.progress)}", style=ink("info"))
    if status.state not in (BackendState.OK, BackendState.PENDING) and status.message:
        # why it failed, in the backend's words (clipped; the full text is in doctor)
        text.append(f": {visible(status.message, limit=80)}", style=style)
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: bottom;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def show(self, statuses: tuple[BackendStatus, ...], context: str, user: str, read_only: bool) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("ctx ", style="dim")
        text.append(visible(context), style="bold")
        text.append("  user ", style="dim")
        text.append(visible(user, limit=40), style="bold")  # the normalised identity
        if read_only:
            text.append("  READ-ONLY", style=ink("warning", "bold reverse"))
        for status in statuses:
            text.append(f"  {glyphs.SEPARATOR} ", style="dim")
            text.append_text(describe_status(status))
        # One line the screen's width whatever it says: no layout. A layout is the whole
        # screen arranged and painted again, 20-35 ms twice a second (each poll and each
        # tick's ages) that a keystroke arriving then waited for.
        self.update(text, layout=False)
