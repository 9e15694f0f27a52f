"""The top line: the six views with their keys, the current one marked, and the DEMO badge."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

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

    def render_bar(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("mlops-tui ", style="bold")
        if self.demo:
            text.append(" DEMO ", style="bold reverse magenta")
            text.append(" ")
        for key, mode, label in VIEWS:
            style = "bold reverse" if mode == self.current else ""
            text.append(f" {key} {SHORT.get(mode, label)} ", style=style)
        if self.crumb:
            text.append("  › ", style="dim")
            text.append(self.crumb, style="bold")
        if self.demo and not self.crumb:
            text.append(f"   {DEMO_HINT}", style="dim italic")
        return text
