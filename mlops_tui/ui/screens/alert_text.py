"""An alert's labels and annotations whole, in a scrollable view: `f` on the alert detail, which
shows each value cut (a 100 KB annotation would take the detail seconds to wrap on every visit).

The text is shown literally: each line goes through `visible()` (no markup, controls and bidi
characters as symbols), with the annotation's own line breaks kept. Only the visible lines are
drawn (Textual's `Log`); the wrapping to the view's width is done here, once per width.
"""

from __future__ import annotations

from rich.cells import cell_len, chop_cells
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Log

from mlops_tui.domain import Alert
from mlops_tui.services.snapshot import Snapshot
from mlops_tui.ui import glyphs
from mlops_tui.ui.literal import visible
from mlops_tui.ui.screens.base import BaseScreen


def alert_text_lines(alert: Alert) -> list[str]:
    """Every annotation, then every label, whole: a heading line each, then its value's lines."""
    lines: list[str] = []
    for title, values in (("Annotations", alert.annotations), ("Labels", alert.labels)):
        lines.append(f"{glyphs.RULE * 2} {title} {glyphs.RULE * 2}")
        for key, value in sorted(values.items()):
            lines.append(f"{visible(key, 200)}:")
            lines += [f"  {visible(line)}" for line in str(value).split("\n")]
        lines.append("")
    if alert.generator_url:
        lines += [f"{glyphs.RULE * 2} Source {glyphs.RULE * 2}", f"  {visible(alert.generator_url)}"]
    return lines


def wrap_lines(lines: list[str], width: int) -> list[str]:
    """`lines` cut into pieces at most `width` cells wide (no word wrap: a stack trace or a
    base64 blob has no words); an ASCII line is cut by slicing."""
    width = max(width, 10)
    out: list[str] = []
    for line in lines:
        if len(line) <= width and line.isascii():
            out.append(line)
        elif line.isascii():
            out += [line[i : i + width] for i in range(0, len(line), width)]
        elif cell_len(line) <= width:
            out.append(line)
        else:
            out += chop_cells(line, width)
    return out


class AlertTextScreen(BaseScreen):
    VIEW = "alerts"
    BINDINGS = [
        Binding("j", "scroll('down')", "Down", show=False, id="alert_text.down"),
        Binding("k", "scroll('up')", "Up", show=False, id="alert_text.up"),
        Binding("g", "scroll('top')", "Top", id="alert_text.top"),
        Binding("G", "scroll('end')", "End", id="alert_text.end"),
    ]
    DEFAULT_CSS = """
    AlertTextScreen Log { height: 1fr; padding: 0 1; }
    """

    def __init__(self, fingerprint: str) -> None:
        super().__init__()
        self.fingerprint = fingerprint
        self._lines: list[str] | None = None
        self._width = 0

    def crumb(self) -> str:
        alert = self._alert(self.snapshot)
        return visible(f"text of {alert.name}", 80) if alert else "alert text"

    def compose_body(self) -> ComposeResult:
        yield Log(id="alert-text", highlight=False, auto_scroll=False)

    def on_mount(self) -> None:
        self.query_one("#alert-text", Log).focus()

    def _alert(self, snapshot: Snapshot) -> Alert | None:
        return next((a for a in snapshot.alerts if a.fingerprint == self.fingerprint), None)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        if self._lines is not None:
            return  # the text as it was when opened: a poll does not move what is being read
        alert = self._alert(snapshot)
        if alert is None:
            self._lines = ["This alert is no longer reported (resolved?)"]
        else:
            self._lines = alert_text_lines(alert)
        self._fill()

    def on_resize(self, event: events.Resize) -> None:
        self._fill()

    def _fill(self) -> None:
        log = self.query_one("#alert-text", Log)
        width = log.scrollable_content_region.width or self.size.width - 4
        if self._lines is None or width <= 0 or width == self._width:
            return
        self._width = width
        log.clear()
        log.write_lines(wrap_lines(self._lines, width))
        log.scroll_home(animate=False)

    def action_scroll(self, where: str) -> None:
        log = self.query_one("#alert-text", Log)
        if where == "down":
            log.scroll_down(animate=False)
        elif where == "up":
            log.scroll_up(animate=False)
        elif where == "top":
            log.scroll_home(animate=False)
        else:
            log.scroll_end(animate=False)
