"""The top line: the six views with their keys, the current one marked, and the DEMO badge."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlops_tui.ui import glyphs
from mlops_tui.ui.themes import ink

VIEWS = (
    ("1", "overview", "Overview"),
    ("2", "runs", "Runs"),
    ("3", "models", "Models"),
    ("4", "deploy", "Deployments"),
    ("5", "alerts", "Alerts"),
    ("6", "drift", "Drift"),
)

SHORT = {"deploy": "Deploy"}  # so all six fit an 80-column terminal

DEMO_HINT = "demo world: run `mlops-tui init` to connect MLflow and Alertmanager"


class TopBar(Static):
    DEFAULT_CSS = """
    TopBar {
        dock: top;
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, current: str, *, demo: bool, crumb: str = "") -> None:
        super().__init__()
        self.current = current
        self.demo = demo
        self.crumb = crumb

    def on_mount(self) -> None:
        self.update(self.render_bar())

    def on_resize(self) -> None:
        self.update(self.render_bar(self.content_size.width))

    def render_bar(self, width: int | None = None) -> Text:
        text = self._bar(compact=False)
        if width and self.crumb and text.cell_len > width:
            # Too narrow (80 columns) for every view's name and the crumb: the other views
            # show their key only, so that where the user is stays in sight.
            text = self._bar(compact=True)
        return text

    def _bar(self, compact: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("mlops-tui ", style="bold")
        if self.demo:
            text.append(" DEMO ", style=ink("info", "bold reverse"))
            text.append(" ")
        for key, mode, label in VIEWS:
            current = mode == self.current
            style = "bold reverse" if current else ""
            text.append(f" {key} {SHORT.get(mode, label)} " if current or not compact else f" {key} ", style=style)
        if self.crumb:
            text.append(f"  {glyphs.CRUMB} ", style="dim")
            text.append(self.crumb, style="bold")
        if self.demo and not self.crumb:
            text.append(f"   {DEMO_HINT}", style="dim italic")
        return text
